"""``/api/v1/runs/{entity}/{project}/{run_id}/console``: a run's console lines, paged by
line number, optionally only those holding a text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.server.auth import CanReadRun
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.server.schemas import ConsolePage
from tracklet.store.base import RunRef

MAX_CONSOLE_PAGE = 10_000

router = APIRouter(prefix="/runs", tags=["console"])


@router.get("/{entity}/{project}/{run_id}/console", response_model=ConsolePage,
            responses=READ_ERRORS, summary="Console lines of a run",
            description=f"Lines with `line_no` >= `offset`, at most `limit` (at most "
                        f"{MAX_CONSOLE_PAGE}); `search` keeps lines containing that text "
                        "(case as the database compares it). `next_offset` continues.")
def read_console(request: Request, entity: str, project: str, run_id: str, caller: CanReadRun,
                 store: Store, offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
                 limit: Annotated[int, Query(ge=1, le=MAX_CONSOLE_PAGE)] = 1000,
                 search: Annotated[str | None, Query(max_length=1000)] = None) -> Response:
    lines = store.read_console(RunRef(entity, project, run_id), offset=offset, limit=limit,
                               search=search or None)
    items = [{"line_no": ln.line_no, "ts": ln.ts, "stream": ln.stream, "text": ln.text}
             for ln in lines]
    next_offset = lines[-1].line_no + 1 if len(lines) == limit else None
    return respond(request, {"items": items, "next_offset": next_offset})
