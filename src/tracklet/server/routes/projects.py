"""``/api/v1/projects``: the projects, most recently updated first."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.server.auth import CanRead
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.server.schemas import ProjectPage

MAX_PROJECTS_PAGE = 1000

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=ProjectPage, responses=READ_ERRORS,
            summary="List projects",
            description=f"All projects, or those of `entity`; at most {MAX_PROJECTS_PAGE} "
                        "per page.")
def list_projects(request: Request, caller: CanRead, store: Store,
                  entity: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_PROJECTS_PAGE)] = 50,
                  cursor: str | None = None) -> Response:
    projects = [dataclasses.asdict(p) for p in store.list_projects(entity)]
    return respond(request, page(projects, cursor, limit))
