"""``/api/v1/series``: one query for the charts of runs x keys against an x-axis."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tracklet.errors import InvalidRequestError
from tracklet.server.auth import Authorized
from tracklet.server.responses import respond
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.server.schemas import SeriesResponse
from tracklet.server.series_view import BUILTIN_AXES, clip, view, x_points
from tracklet.store.arrays import ArraySeriesReader, SeriesArrays
from tracklet.store.base import MetadataStore, RunRef

MAX_RUNS = 100
MAX_KEYS = 50
MAX_PAIRS = 1000
MAX_BUCKETS = 10_000

router = APIRouter(tags=["series"])


@router.get(
    "/series", response_model=SeriesResponse, responses=READ_ERRORS,
    summary="Chart data: runs x keys against an x-axis, bucketed",
    description=(
        "For each run (`entity/project/run_id`, repeat `runs`, at most "
        f"{MAX_RUNS}) and key (repeat `keys`, at most {MAX_KEYS}; at most {MAX_PAIRS} "
        "pairs), the points with `min_x` <= x <= `max_x`, sorted by x. `x_axis` is `_step`, "
        "`_timestamp` (unix seconds), `_runtime` (seconds since the run was created) or "
        "another metric key (joined by step; points whose step lacks it are left out). "
        "When at most `buckets` points are in range they come raw (`points`); else "
        f"`buckets` (at most {MAX_BUCKETS}) equal x-ranges each give x (of their last "
        "point), min, max, mean (NaN skipped), last and count: deterministic, no spike "
        "hidden, the newest point is the last bucket's `last`. A key the run lacks gives "
        "an empty entry; a run that does not exist gives 404."))
def read_series(request: Request, auth: Authorized, store: Store,
                runs: Annotated[list[str], Query(description="entity/project/run_id")],
                keys: Annotated[list[str], Query()],
                x_axis: str = "_step",
                buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 1000,
                min_x: float | None = None, max_x: float | None = None) -> Response:
    refs = [parse_ref(path) for path in dict.fromkeys(runs)]
    wanted = list(dict.fromkeys(keys))
    if len(refs) > MAX_RUNS or len(wanted) > MAX_KEYS or len(refs) * len(wanted) > MAX_PAIRS:
        raise InvalidRequestError(f"at most {MAX_RUNS} runs, {MAX_KEYS} keys and "
                                  f"{MAX_PAIRS} run x key pairs per query")
    for bound in (min_x, max_x):
        if bound is not None and math.isnan(bound):
            raise InvalidRequestError("min_x and max_x must be numbers")
    for ref in refs:  # every run readable, else nothing
        auth.require_read(ref.entity, ref.project, ref.run_id)
    min_step = max_step = None
    if x_axis == "_step":  # the store cuts the range itself
        min_step = None if min_x is None else _ceil(min_x)
        max_step = None if max_x is None else _floor(max_x)
    metric_axis = x_axis not in BUILTIN_AXES
    read = [*wanted, x_axis] if metric_axis and x_axis not in wanted else wanted
    found = read_arrays(store, refs, read, min_step=min_step, max_step=max_step)
    out: list[dict[str, Any]] = []
    for ref in refs:
        created = store.get_run(ref).created_at if x_axis == "_runtime" else 0.0
        x_series = found.get((ref, x_axis)) if metric_axis else None
        for key in wanted:
            series = found.get((ref, key))
            if series is None:
                series = SeriesArrays(key, np.empty(0, dtype=np.int64), np.empty(0),
                                      np.empty(0))
            xs, steps, values = x_points(series, x_axis, created_at=created,
                                         x_series=x_series)
            if x_axis != "_step":
                xs, steps, values = clip(xs, steps, values, min_x, max_x)
            out.append({"run": ref.path, "key": key, "x_axis": x_axis,
                        **view(xs, steps, values, buckets)})
    return respond(request, {"series": out})


def parse_ref(path: str) -> RunRef:
    parts = path.split("/")
    if len(parts) != 3 or not all(parts):
        raise InvalidRequestError(f"{path!r} is not a run path: use entity/project/run_id",
                                  details={"param": "runs"})
    return RunRef(*parts)


def read_arrays(store: MetadataStore, refs: list[RunRef], keys: list[str], *,
                min_step: int | None = None, max_step: int | None = None,
                limit: int | None = None) -> dict[tuple[RunRef, str], SeriesArrays]:
    """Series of runs x keys as arrays: in a few queries from a store that can
    (``ArraySeriesReader``), else run by run through ``read_series``."""
    if isinstance(store, ArraySeriesReader):
        return store.read_series_arrays(refs, keys, min_step=min_step, max_step=max_step,
                                        limit=limit)
    return {(ref, s.key): SeriesArrays.from_series(s) for ref in refs
            for s in store.read_series(ref, keys, min_step=min_step, max_step=max_step,
                                       limit=limit)}


STEP_BOUND = 2**62  # steps beyond this cannot be stored; bounds past it mean "no bound"


def _ceil(x: float) -> int:
    return int(min(max(math.ceil(x) if math.isfinite(x) else x, -STEP_BOUND), STEP_BOUND))


def _floor(x: float) -> int:
    return int(min(max(math.floor(x) if math.isfinite(x) else x, -STEP_BOUND), STEP_BOUND))
