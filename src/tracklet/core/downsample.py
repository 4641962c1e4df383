"""Deterministic downsampling that never hides a spike and always keeps the newest point."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    x: float        # x of the bucket's last point
    min: float
    max: float
    mean: float
    last: float
    count: int


def even_indices(n: int, samples: int) -> list[int]:
    """``samples`` indices spread evenly over ``range(n)``, always the first and the last."""
    if samples <= 0 or n <= 0:
        return []
    if samples >= n:
        return list(range(n))
    if samples == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (samples - 1)) for i in range(samples)})


def bucketize(xs: Sequence[float], ys: Sequence[float], buckets: int) -> list[Bucket]:
    """Split points (sorted by x) into at most ``buckets`` equal x-ranges.

    Each bucket keeps min, max, mean (NaN skipped) and its last point, so the newest point
    is always the last bucket's ``last`` and the line never loses a spike. The point at x
    goes to bucket ``min(int((x - lo) / width), buckets - 1)``; as that index never falls
    when x grows, each bucket's first point is found by bisection and its aggregates are
    taken over a slice in C (a million points take milliseconds, not a second).
    """
    n = len(xs)
    if n == 0 or buckets <= 0:
        return []
    lo, hi = float(xs[0]), float(xs[-1])
    starts = [0]
    if hi > lo:
        width = (hi - lo) / buckets

        def index(x: float) -> int:
            return min(int((x - lo) / width), buckets - 1)

        for b in range(1, buckets):
            start = bisect.bisect_left(xs, b, lo=starts[-1], key=index)
            if start >= n:
                break
            if start > starts[-1]:
                starts.append(start)
    starts.append(n)
    return [_bucket(xs, ys, a, e) for a, e in itertools.pairwise(starts)]


def _bucket(xs: Sequence[float], ys: Sequence[float], start: int, end: int) -> Bucket:
    values = ys[start:end]
    total = sum(values)
    if total == total:  # no NaN (nor inf - inf) among them
        return Bucket(xs[end - 1], min(values), max(values), total / len(values),
                      ys[end - 1], end - start)
    kept = [y for y in values if y == y]
    if not kept:
        return Bucket(xs[end - 1], math.nan, math.nan, math.nan, ys[end - 1], end - start)
    return Bucket(xs[end - 1], min(kept), max(kept), sum(kept) / len(kept), ys[end - 1],
                  end - start)
