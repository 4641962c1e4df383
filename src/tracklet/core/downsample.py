"""Deterministic downsampling that never hides a spike and always keeps the newest point."""

from __future__ import annotations

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
    is always the last bucket's ``last`` and the line never loses a spike.
    """
    n = len(xs)
    if n == 0 or buckets <= 0:
        return []
    lo, hi = float(xs[0]), float(xs[-1])
    width = (hi - lo) / buckets if hi > lo else 1.0
    out: list[Bucket] = []
    cur = -1
    bmin = bmax = total = 0.0
    count = finite = 0
    last_x = last_y = 0.0
    for x, y in zip(xs, ys):
        b = min(int((x - lo) / width), buckets - 1) if hi > lo else 0
        if b != cur:
            if count:
                out.append(Bucket(last_x, bmin, bmax, total / finite if finite else math.nan,
                                  last_y, count))
            cur, count, finite, total = b, 0, 0, 0.0
            bmin, bmax = math.inf, -math.inf
        count += 1
        last_x, last_y = x, y
        if y == y:  # not NaN
            finite += 1
            total += y
            bmin = min(bmin, y)
            bmax = max(bmax, y)
    if count:
        out.append(Bucket(last_x, bmin, bmax, total / finite if finite else math.nan,
                          last_y, count))
    return [b if b.min <= b.max else Bucket(b.x, math.nan, math.nan, b.mean, b.last, b.count)
            for b in out]
