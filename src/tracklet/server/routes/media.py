"""``/api/v1/runs/{entity}/{project}/{run_id}/media``: a run's media values (histograms,
images, tables), page by page (what ``Api(url).run(path).media()`` reads), and
``.../media/blobs/{sha256}``: the bytes of an image the run logged."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.responses import Response, StreamingResponse

from tracklet.core.media import CONTENT_TYPES
from tracklet.errors import InvalidRequestError, NotFoundError
from tracklet.server.artifact_state import Blobs
from tracklet.server.auth import CanReadRun
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.store.base import MediaReader, RunRef

MAX_MEDIA_PAGE = 10_000
MAX_MEDIA_KEYS = 100
STEP_BOUND = 2**62

router = APIRouter(prefix="/runs", tags=["media"])


class MediaKeys(BaseModel):
    items: list[str]


class MediaValueOut(BaseModel):
    key: str
    step: int
    ts: float
    media_type: str = Field(description="`histogram`, `image-file`, `images/separated` or "
                                        "`table`")
    data: dict[str, Any] = Field(description="W&B-shaped JSON, e.g. `{\"_type\": "
                                             "\"histogram\", \"values\": [...], \"bins\": "
                                             "[...]}`; an image is `{\"_type\": "
                                             "\"image-file\", \"sha256\": ..., \"width\": "
                                             "..., \"height\": ..., \"format\": ...}`, "
                                             "its bytes at `media/blobs/{sha256}`")


class MediaPage(BaseModel):
    items: list[MediaValueOut]
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null "
                                                "on the last page.")


@router.get("/{entity}/{project}/{run_id}/media/keys", response_model=MediaKeys,
            responses=READ_ERRORS, summary="The media keys of a run")
def list_media_keys(request: Request, entity: str, project: str, run_id: str,
                    caller: CanReadRun, store: Store) -> Response:
    reader = cast("MediaReader", store)
    return respond(request, {"items": reader.list_media_keys(RunRef(entity, project, run_id))})


@router.get("/{entity}/{project}/{run_id}/media", response_model=MediaPage,
            responses=READ_ERRORS, summary="Media values of a run, in step order",
            description=f"Values of `keys` (at most {MAX_MEDIA_KEYS}; all when none are "
                        "given) with `min_step` <= step <= `max_step`, ordered by step then "
                        f"key, `limit` (at most {MAX_MEDIA_PAGE}) after the first `offset`.")
def read_media(request: Request, entity: str, project: str, run_id: str, caller: CanReadRun,
               store: Store, keys: Annotated[list[str] | None, Query()] = None,
               min_step: Annotated[int | None, Query(ge=-STEP_BOUND, le=STEP_BOUND)] = None,
               max_step: Annotated[int | None, Query(ge=-STEP_BOUND, le=STEP_BOUND)] = None,
               offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=MAX_MEDIA_PAGE)] = 1000) -> Response:
    if keys is not None and len(keys) > MAX_MEDIA_KEYS:
        raise InvalidRequestError(f"at most {MAX_MEDIA_KEYS} keys per request",
                                  details={"param": "keys"})
    reader = cast("MediaReader", store)
    found = reader.read_media(RunRef(entity, project, run_id), keys, min_step=min_step,
                              max_step=max_step, offset=offset, limit=limit)
    items = [{"key": m.key, "step": m.step, "ts": m.ts, "media_type": m.media_type,
              "data": m.data} for m in found]
    return respond(request, {"items": items,
                             "next_offset": offset + limit if len(found) == limit else None})


IMMUTABLE = "private, max-age=31536000, immutable"  # content-addressed: never changes


@router.get("/{entity}/{project}/{run_id}/media/blobs/{digest}",
            responses={**READ_ERRORS, 200: {"content": {"image/png": {}, "image/jpeg": {}}},
                       304: {"description": "Not modified (`If-None-Match`)."}},
            summary="The bytes of an image the run logged",
            description="The file of an image (`image-file`) a media value of this run "
                        "holds, by its sha256, with its content type (`image/png`, ...) "
                        "and long-lived cache headers. 404 unless the run logged that "
                        "image and its bytes were stored for the run's project: knowing a "
                        "digest opens nothing else.")
def read_media_blob(request: Request, entity: str, project: str, run_id: str,
                    digest: Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")],
                    caller: CanReadRun, store: Store, blobs: Blobs) -> Response:
    reader = cast("MediaReader", store)
    image = reader.find_media_image(RunRef(entity, project, run_id), digest)
    if image is None:
        raise NotFoundError(f"run {entity}/{project}/{run_id} has no stored image {digest}")
    etag = f'"{digest}"'
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    size = blobs.size(digest)
    if size is None:
        raise NotFoundError(f"the bytes of image {digest} are missing from the blob store")
    stream = blobs.open(digest)

    def chunks() -> Any:
        with stream:
            while chunk := stream.read(1 << 20):
                yield chunk

    content_type = CONTENT_TYPES.get(str(image.get("format")), "application/octet-stream")
    return StreamingResponse(chunks(), media_type=content_type,
                             headers={**headers, "Content-Length": str(size),
                                      "Content-Encoding": "identity",
                                      "X-Content-Type-Options": "nosniff"})
