"""``/api/v1/runs/{entity}/{project}/{run_id}/keys`` and ``.../history``: a run's metric
keys and its raw points, page by page (what ``scan_history`` reads over HTTP)."""

from __future__ import annotations

import bisect
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.errors import InvalidRequestError
from tracklet.server.auth import CanReadRun
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.server.schemas import HistoryOut, KeyPage
from tracklet.store.base import RunRef, Series

MAX_KEYS_PAGE = 10_000
MAX_HISTORY_KEYS = 100
MAX_HISTORY_POINTS = 100_000
STEP_BOUND = 2**62

router = APIRouter(prefix="/runs", tags=["history"])


@router.get("/{entity}/{project}/{run_id}/keys", response_model=KeyPage,
            responses=READ_ERRORS, summary="The metric keys of a run",
            description="`kind=history` (default): keys logged with `log()`; `kind=system`: "
                        f"system metrics. Sorted; at most {MAX_KEYS_PAGE} per page.")
def list_keys(request: Request, entity: str, project: str, run_id: str, caller: CanReadRun,
              store: Store, kind: Literal["history", "system"] = "history",
              limit: Annotated[int, Query(ge=1, le=MAX_KEYS_PAGE)] = 1000,
              cursor: str | None = None) -> Response:
    keys = store.list_metric_keys(RunRef(entity, project, run_id), kind=kind)
    return respond(request, page(keys, cursor, limit))


@router.get(
    "/{entity}/{project}/{run_id}/history", response_model=HistoryOut, responses=READ_ERRORS,
    summary="Raw points of some keys of a run, in step order",
    description=(
        f"Up to `limit` (at most {MAX_HISTORY_POINTS}) points per key with `min_step` <= "
        f"step <= `max_step`, for up to {MAX_HISTORY_KEYS} keys (all history keys when "
        "none are given). When a key fills its `limit`, every key is cut at the same step "
        "and `next_min_step` says where the next page starts. JSON carries NaN and "
        "infinities as the strings \"NaN\", \"Infinity\", \"-Infinity\"; msgpack "
        "(`Accept: application/x-msgpack`) carries them as floats."))
def read_history(request: Request, entity: str, project: str, run_id: str, caller: CanReadRun,
                 store: Store, keys: Annotated[list[str] | None, Query()] = None,
                 min_step: Annotated[int | None, Query(ge=-STEP_BOUND, le=STEP_BOUND)] = None,
                 max_step: Annotated[int | None, Query(ge=-STEP_BOUND, le=STEP_BOUND)] = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_POINTS)] = 10_000,
                 ) -> Response:
    ref = RunRef(entity, project, run_id)
    wanted = list(dict.fromkeys(keys)) if keys else store.list_metric_keys(ref,
                                                                          kind="history")
    if len(wanted) > MAX_HISTORY_KEYS:
        if keys:
            raise InvalidRequestError(f"at most {MAX_HISTORY_KEYS} keys per request",
                                      details={"param": "keys"})
        wanted = wanted[:MAX_HISTORY_KEYS]  # no keys named: the first ones; name the rest
    found = store.read_series(ref, wanted, min_step=min_step, max_step=max_step, limit=limit)
    full = [s.steps[-1] for s in found if len(s.steps) >= limit]
    next_min_step = None
    if full:
        cut = min(full)
        found = [_clip(s, cut) for s in found]
        next_min_step = cut + 1 if max_step is None or cut < max_step else None
    return respond(request, {"series": [_series_json(s) for s in found],
                             "next_min_step": next_min_step})


def _clip(series: Series, hi: int) -> Series:
    end = bisect.bisect_right(series.steps, hi)
    return Series(series.key, series.steps[:end], series.timestamps[:end], series.values[:end])


def _series_json(series: Series) -> dict[str, Any]:
    return {"key": series.key, "steps": series.steps, "timestamps": series.timestamps,
            "values": series.values}
