"""What a chart needs of one series: its points against an x-axis, bucketed when many.

Pure functions over ``Series``: the x-axis is ``_step``, ``_timestamp`` (unix seconds),
``_runtime`` (seconds since the run was created) or another metric joined by step (points
whose step lacks that metric, or where it is not finite, are left out). Points are sorted
by x; when more than ``buckets`` of them are in range, each of at most ``buckets`` equal
x-ranges keeps min, max, mean, last and count (``core.downsample.bucketize``), so no spike
is hidden and the newest point is the last bucket's ``last``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from tracklet.core.downsample import bucketize
from tracklet.store.base import Series

BUILTIN_AXES = ("_step", "_timestamp", "_runtime")


def x_points(series: Series, x_axis: str, *, created_at: float = 0.0,
             x_series: Series | None = None) -> tuple[list[float], list[int], list[float]]:
    """``(x, step, value)`` of every point that has an x, sorted by x (then step)."""
    steps, values = series.steps, series.values
    if x_axis == "_step":
        return list(steps), steps, values  # x is the step itself (an int)
    if x_axis == "_timestamp":
        xs = list(series.timestamps)
    elif x_axis == "_runtime":
        xs = [t - created_at for t in series.timestamps]
    else:
        by_step = dict(zip(x_series.steps, x_series.values)) if x_series else {}
        kept = [(by_step[s], s, v) for s, v in zip(steps, values)
                if s in by_step and math.isfinite(by_step[s])]
        kept.sort(key=lambda p: (p[0], p[1]))
        return [p[0] for p in kept], [p[1] for p in kept], [p[2] for p in kept]
    if any(a > b for a, b in itertools.pairwise(xs)):
        order = sorted(range(len(xs)), key=lambda i: (xs[i], steps[i]))
        return [xs[i] for i in order], [steps[i] for i in order], [values[i] for i in order]
    return xs, list(steps), list(values)


def clip(xs: list[float], steps: list[int], values: list[float], lo: float | None,
         hi: float | None) -> tuple[list[float], list[int], list[float]]:
    """The points with lo <= x <= hi (xs sorted)."""
    import bisect

    start = 0 if lo is None else bisect.bisect_left(xs, lo)
    end = len(xs) if hi is None else bisect.bisect_right(xs, hi)
    if (start, end) == (0, len(xs)):
        return xs, steps, values
    return xs[start:end], steps[start:end], values[start:end]


def view(xs: list[float], steps: list[int], values: list[float],
         buckets: int) -> dict[str, Any]:
    """``{"count", "points", "buckets"}``: raw points when they fit, else buckets."""
    if len(xs) <= buckets:
        return {"count": len(xs), "points": {"x": xs, "step": steps, "value": values},
                "buckets": None}
    found = bucketize(xs, values, buckets)
    return {"count": len(xs), "points": None,
            "buckets": {"x": [b.x for b in found], "min": [b.min for b in found],
                        "max": [b.max for b in found], "mean": [b.mean for b in found],
                        "last": [b.last for b in found], "count": [b.count for b in found]}}
