"""``/api/v1/share``: read-only share links for a project or a run."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.errors import NotFoundError
from tracklet.server.account_schemas import ShareIn, ShareList, ShareOut
from tracklet.server.auth import Authorized
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import Store, errors
from tracklet.store.base import RunRef

router = APIRouter(prefix="/share", tags=["share"])


@router.post("", response_model=ShareOut, status_code=201,
             responses=errors(400, 401, 403, 404, 503),
             summary="Create a share link (read-only) for a project or one run",
             description="Anyone who may write the project may share it. The token is "
                         "shown once; pass it as `?share=` or `X-Tracklet-Share`. It reads "
                         "that project (or only that run) and nothing else.")
def create_share(request: Request, body: ShareIn, auth: Authorized, store: Store) -> Response:
    auth.require_write(body.entity, body.project)
    if body.run_id is not None:
        store.get_run(RunRef(body.entity, body.project, body.run_id))  # 404 if none
    user = auth.caller.user
    link, token = auth.accounts.create_share_link(
        body.entity, body.project, body.run_id, created_by=None if user is None else user.id)
    out = dataclasses.asdict(link)
    out.pop("revoked_at")
    return respond(request, {**out, "token": token}, status_code=201)


@router.get("", response_model=ShareList, responses=errors(400, 401, 403, 404, 503),
            summary="The share links of a project (and of its runs), newest first",
            description="For those who may write the project. Tokens are never shown "
                        "again; revoked links are listed with `revoked_at`.")
def list_shares(request: Request, auth: Authorized,
                entity: Annotated[str, Query(max_length=128)],
                project: Annotated[str, Query(max_length=128)],
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                cursor: str | None = None) -> Response:
    auth.require_write(entity, project)
    links = [dataclasses.asdict(link)
             for link in auth.accounts.list_share_links(entity, project)]
    return respond(request, page(links, cursor, limit))


@router.delete("/{link_id}", status_code=204, responses=errors(401, 403, 404, 503),
               summary="Revoke a share link")
def revoke_share(link_id: int, auth: Authorized) -> Response:
    try:
        link = auth.accounts.get_share_link(link_id)
    except NotFoundError:
        link = None
    if auth.caller.anonymous:
        auth.require_user()
    if link is None or not auth.can_read(link.entity, link.project):
        raise NotFoundError(f"no share link {link_id}")
    auth.require_write(link.entity, link.project)  # a viewer: 403
    auth.accounts.revoke_share_link(link_id)
    return Response(status_code=204)
