"""``/api/v1/views``: saved dashboard views (panel layouts) per project.

Whoever may read a project lists its views; whoever may write it saves or deletes them.
A view's ``spec`` is the dashboard's own JSON (panels, sizes, x-axis ...); the server
keeps it as given, up to ``MAX_SPEC_BYTES``.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, cast

import msgspec
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from tracklet.errors import InvalidRequestError
from tracklet.server.auth import Authorized
from tracklet.server.responses import respond
from tracklet.server.routes.common import errors
from tracklet.store.sql.views import SqlViewStore

MAX_SPEC_BYTES = 256 * 1024

router = APIRouter(tags=["views"])


def get_views(request: Request) -> SqlViewStore:
    return cast(SqlViewStore, request.app.state.views)


Views = Annotated[SqlViewStore, Depends(get_views)]


class ViewIn(BaseModel):
    spec: dict[str, Any] = Field(description="The dashboard's layout (panels, sizes ...).")


class ViewOut(BaseModel):
    entity: str
    project: str
    name: str
    spec: dict[str, Any]
    created_at: float
    updated_at: float


class ViewList(BaseModel):
    items: list[ViewOut]


@router.get("/views/{entity}/{project}", response_model=ViewList,
            responses=errors(400, 401, 404, 503), summary="List a project's saved views")
def list_views(request: Request, entity: str, project: str, auth: Authorized,
               views: Views) -> Response:
    auth.require_read(entity, project)
    found = views.list_views(entity, project)
    return respond(request, {"items": [dataclasses.asdict(v) for v in found]})


@router.put("/views/{entity}/{project}/{name}", response_model=ViewOut,
            responses=errors(400, 401, 403, 404, 413, 503),
            summary="Save a view (create or replace)",
            description=f"The spec may take up to {MAX_SPEC_BYTES // 1024} KiB as JSON.")
def save_view(request: Request, entity: str, project: str, name: str, body: ViewIn,
              auth: Authorized, views: Views) -> Response:
    auth.require_write(entity, project)  # 401 without a key, 404 unreadable, 403 a viewer
    size = len(msgspec.json.encode(body.spec))
    if size > MAX_SPEC_BYTES:
        raise InvalidRequestError(f"the view's spec takes {size} bytes; at most "
                                  f"{MAX_SPEC_BYTES} are kept: drop some panels",
                                  details={"limit": MAX_SPEC_BYTES})
    view = views.save_view(entity, project, name, body.spec)
    return respond(request, dataclasses.asdict(view))


@router.delete("/views/{entity}/{project}/{name}", status_code=204,
               responses=errors(401, 403, 404, 503), summary="Delete a saved view")
def delete_view(entity: str, project: str, name: str, auth: Authorized,
                views: Views) -> Response:
    auth.require_write(entity, project)
    views.delete_view(entity, project, name)
    return Response(status_code=204)
