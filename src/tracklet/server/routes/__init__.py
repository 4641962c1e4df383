"""One module per resource of ``/api/v1``; ``ROUTERS`` lists them for ``create_app``."""

from __future__ import annotations

from tracklet.server.routes.accounts import router as accounts_router
from tracklet.server.routes.artifact_blobs import router as artifact_blobs_router
from tracklet.server.routes.artifacts import router as artifacts_router
from tracklet.server.routes.console import router as console_router
from tracklet.server.routes.health import router as health_router
from tracklet.server.routes.history import router as history_router
from tracklet.server.routes.ingest import router as ingest_router
from tracklet.server.routes.live import router as live_router
from tracklet.server.routes.media import router as media_router
from tracklet.server.routes.projects import router as projects_router
from tracklet.server.routes.run_files import router as run_files_router
from tracklet.server.routes.runs import router as runs_router
from tracklet.server.routes.series import router as series_router
from tracklet.server.routes.sharing import router as sharing_router
from tracklet.server.routes.sweeps import router as sweeps_router
from tracklet.server.routes.views import router as views_router

ROUTERS = [health_router, ingest_router, projects_router, runs_router, history_router,
           console_router, series_router, live_router, accounts_router, sharing_router]
ROUTERS.append(views_router)
ROUTERS += [artifacts_router, artifact_blobs_router]
ROUTERS.append(run_files_router)
ROUTERS.append(media_router)
ROUTERS.append(sweeps_router)
