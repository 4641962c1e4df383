"""What a chart needs of one series: its points against an x-axis, bucketed when many.

Vectorised (numpy) functions over ``SeriesArrays``: the x-axis is ``_step``,
``_timestamp`` (unix seconds), ``_runtime`` (seconds since the run was created) or another
metric joined by step (points whose step lacks that metric, or where it is not finite, are
left out). Points are sorted by x (then step); when more than ``buckets`` of them are in
range, each of at most ``buckets`` equal x-ranges keeps min, max, mean, last and count.

``bucket_arrays`` gives exactly what ``core.downsample.bucketize`` (the pure-Python
reference, which the SDK can use without numpy) gives, up to the rounding of the mean's
sum; a test holds them together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tracklet.store.arrays import Float64s, Int64s, SeriesArrays

BUILTIN_AXES = ("_step", "_timestamp", "_runtime")

Xs = npt.NDArray[np.int64] | npt.NDArray[np.float64]


def x_points(series: SeriesArrays, x_axis: str, *, created_at: float = 0.0,
             x_series: SeriesArrays | None = None) -> tuple[Xs, Int64s, Float64s]:
    """``(x, step, value)`` of every point that has an x, sorted by x (then step)."""
    steps, values = series.steps, series.values
    if x_axis == "_step":
        return steps, steps, values  # x is the step itself (ints in the response)
    xs: Float64s
    if x_axis == "_timestamp":
        xs = series.timestamps
    elif x_axis == "_runtime":
        xs = series.timestamps - created_at
    else:
        if x_series is None or not len(x_series):
            return np.empty(0), steps[:0], values[:0]
        at = np.searchsorted(x_series.steps, steps)
        at_clipped = np.minimum(at, len(x_series) - 1)
        xs = x_series.values[at_clipped]
        keep = (x_series.steps[at_clipped] == steps) & np.isfinite(xs)
        xs, steps, values = xs[keep], steps[keep], values[keep]
    if len(xs) > 1 and bool(np.any(xs[1:] < xs[:-1])):
        order = np.lexsort((steps, xs))  # by x, then step; stable
        return xs[order], steps[order], values[order]
    return xs, steps, values


def clip(xs: Xs, steps: Int64s, values: Float64s, lo: float | None,
         hi: float | None) -> tuple[Xs, Int64s, Float64s]:
    """The points with lo <= x <= hi (xs sorted)."""
    start = 0 if lo is None else int(np.searchsorted(xs, lo, side="left"))
    end = len(xs) if hi is None else int(np.searchsorted(xs, hi, side="right"))
    if (start, end) == (0, len(xs)):
        return xs, steps, values
    return xs[start:end], steps[start:end], values[start:end]


def bucket_arrays(xs: Xs, ys: Float64s, buckets: int) -> dict[str, Any]:
    """Points (sorted by x) in at most ``buckets`` equal x-ranges: per bucket x (of its last
    point), min, max, mean (NaN skipped; NaN when nothing else), last and count, as numpy
    arrays. The point at x goes to bucket ``min(int((x - lo) / width), buckets - 1)``,
    computed in float64 as ``core.downsample.bucketize`` does."""
    starts = _bucket_starts(xs, buckets)
    if not len(starts):
        empty = np.empty(0)
        return {"x": xs[:0], "min": empty, "max": empty, "mean": empty, "last": empty,
                "count": np.empty(0, dtype=np.int64)}
    ends = np.append(starts[1:], len(xs))
    count = ends - starts
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = np.add.reduceat(ys, starts)
        lows = np.minimum.reduceat(ys, starts)
        highs = np.maximum.reduceat(ys, starts)
        mean = total / count
        bad = np.flatnonzero(np.isnan(total))  # a NaN among them, or inf and -inf
        if len(bad) > _SLICED_FIXES:  # many: one more pass over every point
            nan = np.isnan(ys)
            kept = np.add.reduceat((~nan).astype(np.int64), starts)
            total = np.add.reduceat(np.where(nan, 0.0, ys), starts)
            lows, highs = np.fmin.reduceat(ys, starts), np.fmax.reduceat(ys, starts)
            mean = np.where(np.isnan(mean), total / kept, mean)
        for b in bad if len(bad) <= _SLICED_FIXES else ():
            part = ys[starts[b]:ends[b]]
            part = part[~np.isnan(part)]
            lows[b], highs[b], mean[b] = ((part.min(), part.max(), part.mean()) if len(part)
                                          else (np.nan, np.nan, np.nan))
    return {"x": xs[ends - 1], "min": lows, "max": highs, "mean": mean, "last": ys[ends - 1],
            "count": count}


_SLICED_FIXES = 32  # buckets with a NaN fixed one by one; more: vectorised


def _bucket_starts(xs: Xs, buckets: int) -> npt.NDArray[np.intp]:
    """Index of each non-empty bucket's first point."""
    n = len(xs)
    if n == 0 or buckets <= 0:
        return np.empty(0, dtype=np.intp)
    lo, hi = float(xs[0]), float(xs[-1])
    width = (hi - lo) / buckets if hi > lo else 0.0
    if not width > 0:
        return np.zeros(1, dtype=np.intp)
    scaled = xs.astype(np.float64)  # a copy: scaled in place below
    np.subtract(scaled, lo, out=scaled)
    np.divide(scaled, width, out=scaled)
    index = scaled.astype(np.int64)  # int() of a non-negative float; never falls
    firsts = np.searchsorted(index, np.arange(1, buckets), side="left")
    firsts = firsts[firsts < n]
    keep = np.empty(len(firsts), dtype=bool)
    if len(firsts):
        keep[0] = firsts[0] > 0
        np.greater(firsts[1:], firsts[:-1], out=keep[1:])
    return np.concatenate((np.zeros(1, dtype=np.intp), firsts[keep]))


def view(xs: Xs, steps: Int64s, values: Float64s, buckets: int) -> dict[str, Any]:
    """``{"count", "points", "buckets"}``: raw points when they fit, else buckets, as
    plain lists (what the response encoders take)."""
    if len(xs) <= buckets:
        return {"count": len(xs), "points": {"x": xs.tolist(), "step": steps.tolist(),
                                             "value": values.tolist()},
                "buckets": None}
    found = bucket_arrays(xs, values, buckets)
    return {"count": len(xs), "points": None,
            "buckets": {name: array.tolist() for name, array in found.items()}}
