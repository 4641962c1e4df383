"""``/api/v1/projects``: the projects the caller may read, most recently updated first;
a project's visibility."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.server.account_schemas import VisibilityIn, VisibilityOut
from tracklet.server.auth import Authorized, CanReadProject
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store, errors
from tracklet.server.schemas import KeyPage, ProjectPage

MAX_PROJECTS_PAGE = 1000
MAX_KEYS_PAGE = 10_000

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=ProjectPage, responses=READ_ERRORS, summary="List projects",
            description="The projects the caller may read (all of `entity`'s when given); "
                        f"at most {MAX_PROJECTS_PAGE} per page.")
def list_projects(request: Request, auth: Authorized, store: Store,
                  entity: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_PROJECTS_PAGE)] = 50,
                  cursor: str | None = None) -> Response:
    found = store.list_projects(entity)
    shown = auth.accounts.list_visibilities() if found else {}
    projects = [dataclasses.asdict(p) for p in found
                if auth.can_read(p.entity, p.name,
                                 visibility=shown.get((p.entity, p.name), "private"))]
    return respond(request, page(projects, cursor, limit))


@router.get("/projects/{entity}/{project}/keys", response_model=KeyPage,
            responses=READ_ERRORS, summary="Every metric key the project's runs logged",
            description="Sorted; `kind=system` for system metrics. What a workspace makes "
                        f"its chart panels of; at most {MAX_KEYS_PAGE} per page.")
def list_project_keys(request: Request, entity: str, project: str, caller: CanReadProject,
                      store: Store, kind: Literal["history", "system"] = "history",
                      limit: Annotated[int, Query(ge=1, le=MAX_KEYS_PAGE)] = 1000,
                      cursor: str | None = None) -> Response:
    keys = store.list_project_keys(entity, project, kind=kind)
    return respond(request, page(keys, cursor, limit))


@router.patch("/projects/{entity}/{project}", response_model=VisibilityOut,
              responses=errors(400, 401, 403, 404, 503),
              summary="Set a project's visibility",
              description="`private` (the owner, or the team's members), `team` (the same "
                          "for a team's project), `public` (anyone reads; writes still need "
                          "a role). The owning user, a team admin or a site admin may set "
                          "it, also before the project's first run.")
def set_visibility(request: Request, entity: str, project: str, body: VisibilityIn,
                   auth: Authorized) -> Response:
    if auth.caller.anonymous:  # a share link reads, never writes
        auth.require_user()
    auth.require_read(entity, project)  # outsiders: 404
    auth.require_admin_of(entity)
    auth.accounts.set_visibility(entity, project, body.visibility)
    return respond(request, {"entity": entity, "project": project,
                             "visibility": body.visibility})
