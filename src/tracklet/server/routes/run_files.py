"""``/api/v1/runs/.../files``: the files a run saved (``tracklet.save``).

They are the latest version of the run's artifact ``run-<run id>-files`` (see
``tracklet.sdk.run_files``); these two endpoints are the run page's view of it, and a
file's bytes come from the artifact blob endpoint they point to.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response

from tracklet.errors import NotFoundError
from tracklet.server.artifact_state import ArtifactStore
from tracklet.server.auth import CanReadRun
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store, errors
from tracklet.store.artifacts import ManifestEntry, run_files_artifact
from tracklet.store.base import RunRef

MAX_PAGE = 10_000

router = APIRouter(prefix="/runs", tags=["runs"])


class RunFileOut(BaseModel):
    path: str
    size: int
    digest: str
    url: str


class RunFilePage(BaseModel):
    items: list[RunFileOut]
    next_cursor: str | None


def _saved(store: Store, artifacts: ArtifactStore, entity: str, project: str,
           run_id: str) -> list[ManifestEntry]:
    store.get_run(RunRef(entity, project, run_id))  # 404 for a run that does not exist
    try:
        version = artifacts.get_version(entity, project, run_files_artifact(run_id), "latest")
    except NotFoundError:
        return []
    return artifacts.list_files(version)


def _blob_url(entity: str, project: str, digest: str) -> str:
    return f"/api/v1/artifact-blobs/{quote(entity)}/{quote(project)}/{digest}"


@router.get("/{entity}/{project}/{run_id}/files", response_model=RunFilePage,
            responses=READ_ERRORS, summary="The files a run saved",
            description="As last saved, sorted by path; `url` downloads one.")
def list_run_files(request: Request, entity: str, project: str, run_id: str,
                   caller: CanReadRun, store: Store, artifacts: ArtifactStore,
                   limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
                   cursor: str | None = None) -> Response:
    items: list[dict[str, Any]] = [
        {"path": e.path, "size": e.size, "digest": e.digest,
         "url": _blob_url(entity, project, e.digest)}
        for e in _saved(store, artifacts, entity, project, run_id) if e.digest]
    return respond(request, page(items, cursor, limit))


@router.get("/{entity}/{project}/{run_id}/files/{path:path}", status_code=307,
            responses={**errors(400, 401, 404, 503),
                       307: {"description": "Redirect to the file's bytes."}},
            summary="Download one saved file (a redirect to its blob)")
def get_run_file(request: Request, entity: str, project: str, run_id: str,
                 path: Annotated[str, Path(max_length=1024)], caller: CanReadRun,
                 store: Store, artifacts: ArtifactStore) -> Response:
    for entry in _saved(store, artifacts, entity, project, run_id):
        if entry.path == path and entry.digest:
            url = _blob_url(entity, project, entry.digest)
            query = request.url.query  # a share token travels along
            return RedirectResponse(f"{url}?{query}" if query else url, status_code=307)
    raise NotFoundError(f"run {entity}/{project}/{run_id} saved no file {path!r}")
