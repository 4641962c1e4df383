"""``create_app(settings)``: the tracking server as an ASGI app (FastAPI).

Nothing lives at module level: the store is opened by the app's lifespan and kept on
``app.state`` with the settings, so any number of apps (and tests) can live side by side.
``app_from_env`` builds one from ``TRACKLET_SERVER_*`` variables, for uvicorn's
``--factory`` (several workers need an import string).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from tracklet import __version__
from tracklet.server.errors import install_error_handlers
from tracklet.server.limits import BodyLimitMiddleware, NulGuardMiddleware
from tracklet.server.openapi import build_openapi
from tracklet.server.reaper import reap_forever
from tracklet.server.routes import ROUTERS
from tracklet.server.settings import ServerSettings
from tracklet.server.static import DashboardRoute

API_PREFIX = "/api/v1"

DESCRIPTION = """\
The tracking server of Tracklet: record ingest from the SDK, runs, metric series.

* **Auth**: `Authorization: Bearer <API key>` (an account's key, or a static admin key of
  the server), or the browser session cookie of `POST /api/v1/auth/login` plus
  `X-CSRF-Token` on writes. A share-link token (`?share=` or `X-Tracklet-Share`) reads one
  project or run. Writes need a key or a login and a role that may write; a project the
  caller may not read answers 404. `GET /api/v1/health` needs nothing.
* **Errors**: always `{"error": {"code", "message", "details"}}` with the HTTP status;
  `code` is stable (`invalid_request`, `unauthorized`, `not_found`, `body_too_large`,
  `store_error`, `internal` ...).
* **Limits**: request bodies up to `max_body_bytes` (default 32 MiB, also after gzip
  decompression), ingest batches up to `max_batch_records` (default 100,000 records);
  over either: 413 `body_too_large`. Every list is paged (`limit`, `cursor` /
  `next_cursor`) with the maximum page size given on each endpoint.
* **Numbers**: JSON has no NaN or infinity; JSON responses carry them as the strings
  `"NaN"`, `"Infinity"`, `"-Infinity"`. Send `Accept: application/x-msgpack` to get
  msgpack, where they are floats.
"""


def create_app(settings: ServerSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from tracklet.store.sql.accounts import SqlAccountStore
        from tracklet.store.sql.store import SqlMetadataStore

        store = await run_in_threadpool(SqlMetadataStore, settings.db_url)
        accounts = await run_in_threadpool(SqlAccountStore, settings.db_url)
        from tracklet.store.sql.views import SqlViewStore

        app.state.views = await run_in_threadpool(SqlViewStore, settings.db_url)
        app.state.store = store
        app.state.accounts = accounts
        reaper = None
        if settings.heartbeat_timeout > 0:
            reaper = asyncio.create_task(reap_forever(store, settings.heartbeat_timeout))
        try:
            yield
        finally:
            if reaper is not None:
                reaper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reaper
            accounts.close()
            app.state.views.close()
            artifacts = getattr(app.state, "artifact_store", None)  # opened on first use
            if artifacts is not None:
                artifacts.close()
            sweeps = getattr(app.state, "sweeps", None)  # opened on first use
            if sweeps is not None:
                sweeps.close()
            store.close()

    app = FastAPI(title="Tracklet", version=__version__, description=DESCRIPTION,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs",
                  redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=4096, compresslevel=1)  # speed over size
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(NulGuardMiddleware)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.router.routes.append(DashboardRoute())  # the web UI at / (never matches /api/)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app for ``TRACKLET_SERVER_*`` settings (``uvicorn --factory``)."""
    return create_app(ServerSettings.from_env())
