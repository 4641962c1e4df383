"""``/api/v1/runs/{entity}/{project}``: list (filter, sort, page), get, edit, delete runs."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tracklet.errors import InvalidRequestError, ValidationError
from tracklet.server.auth import CanReadProject, CanReadRun, CanWriteProject
from tracklet.server.filters import parse_filters_param, parse_order
from tracklet.server.pagination import decode_cursor
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store, errors
from tracklet.server.schemas import RunOut, RunPage, RunPatch
from tracklet.store.base import MetadataStore, RunInfo, RunRef

MAX_RUNS_PAGE = 1000

router = APIRouter(prefix="/runs", tags=["runs"])


def run_json(info: RunInfo) -> dict[str, Any]:
    return dataclasses.asdict(info)


@router.get(
    "/{entity}/{project}", response_model=RunPage, responses=READ_ERRORS,
    summary="List the runs of a project",
    description=(
        "`filters` is JSON in W&B's style: `{\"config.lr\": 0.1, \"summary_metrics.loss\": "
        "{\"$lt\": 1}, \"state\": \"finished\", \"tags\": \"best\", \"group\": \"g\", "
        "\"created_at\": {\"$gt\": 1700000000}}` with operators `$eq $ne $lt $lte $gt $gte "
        "$in $contains` and `$and`. `order` is a comma-separated list of fields "
        "(`created_at`, `name`, `state`, `config.<key>`, `summary.<key>` ...) each with an "
        f"optional leading `-` for descending. At most {MAX_RUNS_PAGE} runs per page."))
def list_runs(request: Request, entity: str, project: str, caller: CanReadProject, store: Store,
              filters: Annotated[str | None, Query(description="JSON filters")] = None,
              order: Annotated[str, Query(description="fields, `-` = descending")]
              = "-created_at",
              limit: Annotated[int, Query(ge=1, le=MAX_RUNS_PAGE)] = 50,
              cursor: Annotated[str | None, Query(description="next_cursor of the "
                                                              "previous page")] = None,
              ) -> Response:
    parsed = parse_filters_param(filters)
    fields = parse_order(order)
    decode_cursor(cursor)  # a cursor of our making, or 400
    try:
        page = store.list_runs(entity, project, filters=parsed, order=fields, limit=limit,
                               cursor=cursor)
    except ValidationError as exc:  # a field the store cannot filter or sort on
        field = (exc.details or {}).get("field")
        param = "order" if field in {f.lstrip("-") for f in fields} else "filters"
        raise InvalidRequestError(str(exc), details={"param": param, "field": field}
                                  ) from None
    return respond(request, {"items": [run_json(i) for i in page.items],
                             "next_cursor": page.next_cursor})


@router.get("/{entity}/{project}/{run_id}", response_model=RunOut, responses=READ_ERRORS,
            summary="One run: metadata, config, summary")
def get_run(request: Request, entity: str, project: str, run_id: str, caller: CanReadRun,
            store: Store) -> Response:
    return respond(request, run_json(store.get_run(RunRef(entity, project, run_id))))


@router.patch(
    "/{entity}/{project}/{run_id}", response_model=RunOut,
    responses=errors(400, 401, 403, 404, 413, 503), summary="Change a run's name, tags or notes",
    description="Fields left out stay as they are; `notes: null` clears the notes. The "
                "reply is the run as it is now.")
async def patch_run(request: Request, entity: str, project: str, run_id: str,
                    patch: RunPatch, caller: CanWriteProject, store: Store) -> Response:
    fields = patch.model_dump(exclude_unset=True)
    for name in ("name", "tags"):
        if name in fields and fields[name] is None:
            raise InvalidRequestError(f"{name} cannot be null", details={"field": name})
    ref = RunRef(entity, project, run_id)
    info = await run_in_threadpool(_edit, store, ref, fields)
    return respond(request, run_json(info))


def _edit(store: MetadataStore, ref: RunRef, fields: dict[str, Any]) -> RunInfo:
    return store.update_run(ref, fields)


@router.delete("/{entity}/{project}/{run_id}", status_code=204,
               responses=errors(401, 403, 404, 503), summary="Delete a run and all its data")
def delete_run(entity: str, project: str, run_id: str, caller: CanWriteProject,
               store: Store) -> Response:
    store.delete_run(RunRef(entity, project, run_id))
    return Response(status_code=204)
