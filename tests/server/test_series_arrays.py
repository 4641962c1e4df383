"""The numpy read path against the pure-Python reference it replaces on the server:
``merge_packed`` vs ``core.chunks.merge_chunks``, ``bucket_arrays`` vs
``core.downsample.bucketize``, on random series (NaN, infinities, rewritten steps, uneven
and repeated x)."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklet.core.chunks import merge_chunks, pack_chunk, sort_points, unpack_chunk
from tracklet.core.downsample import bucketize
from tracklet.server.series_view import bucket_arrays
from tracklet.store.arrays import merge_packed

# huge values stay where no sum of 5,000 of them overflows: past that, the mean depends on
# the order of the additions (Python adds left to right, numpy pairwise)
SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 5e-324]


def random_values(rng: random.Random, n: int, nan_share: float) -> list[float]:
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < nan_share:
            out.append(math.nan)
        elif roll < nan_share + 0.02:
            out.append(rng.choice(SPECIAL))
        else:
            out.append(rng.gauss(0, 1) * 10 ** rng.randint(-3, 3))
    return out


def same_float(a: float, b: float, *, scale: float | None = None) -> bool:
    """Equal (NaN equal to NaN); with ``scale``, up to rounding of sums of numbers that
    big (a mean: the order of the additions differs)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if scale is not None and math.isfinite(a) and math.isfinite(b):
        return abs(a - b) <= 1e-9 * max(scale, abs(b), 1e-300)
    return a == b


def assert_same_buckets(xs: list[float], ys: list[float], buckets: int) -> None:
    want = bucketize(xs, ys, buckets)
    x_array = np.asarray(xs, dtype=np.int64 if all(type(x) is int for x in xs) else float)
    got = bucket_arrays(x_array, np.asarray(ys, dtype=np.float64), buckets)
    assert [b.count for b in want] == got["count"].tolist()
    assert [b.x for b in want] == got["x"].tolist()
    scale = max((abs(y) for y in ys if math.isfinite(y)), default=0.0)
    for name in ("min", "max", "last", "mean"):
        mine = got[name].tolist()
        ref = [getattr(b, name) for b in want]
        tolerance = scale if name == "mean" else None
        assert all(same_float(a, b, scale=tolerance) for a, b in zip(mine, ref)), (
            name, mine, ref)


@pytest.mark.parametrize("seed", range(40))
def test_bucket_arrays_match_the_reference_on_random_series(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 17, 500, 5000])
    nan_share = rng.choice([0.0, 0.01, 0.3, 0.95, 1.0])
    ys = random_values(rng, n, nan_share)
    kind = seed % 3
    if kind == 0:  # steps: ints, with gaps
        xs: list[float] = sorted(rng.sample(range(10 * n + 5), n))
    elif kind == 1:  # uneven floats with repeats (wall times, another metric)
        xs = sorted(rng.choice([rng.random() * 1e3, 7.0, 7.0]) for _ in range(n))
    else:  # one x for all
        xs = [3.5] * n
    for buckets in (1, 2, 7, 100, 1000):
        assert_same_buckets(xs, ys, buckets)


def test_many_nan_buckets_take_the_vectorised_path() -> None:
    rng = random.Random(7)
    ys = random_values(rng, 20_000, 0.5)
    assert_same_buckets(list(range(20_000)), ys, 1000)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**6, 10**6),
                          st.one_of(st.floats(-1e300, 1e300),
                                    st.sampled_from([math.nan, math.inf, -math.inf]))),
                min_size=1, max_size=300),
       st.integers(1, 50))
def test_bucket_arrays_property(points: list[tuple[int, float]], buckets: int) -> None:
    points.sort(key=lambda p: p[0])
    assert_same_buckets([p[0] for p in points], [p[1] for p in points], buckets)


def test_newest_point_is_the_last_buckets_last() -> None:
    xs = np.arange(1_000_000, dtype=np.int64)
    ys = np.sin(xs / 1000.0)
    ys[-1] = 42.0
    got = bucket_arrays(xs, ys, 1000)
    assert got["x"][-1] == 999_999 and got["last"][-1] == 42.0
    assert int(got["count"].sum()) == 1_000_000 and len(got["count"]) == 1000


def chunks_of(rng: random.Random, count: int) -> list[tuple[list[int], list[float],
                                                           list[float]]]:
    """Ingest batches as the store keeps them: each sorted, a step once per chunk."""
    out = []
    top = 0
    for _ in range(count):
        n = rng.randint(0, 50)
        if rng.random() < 0.6:  # appending
            steps = list(range(top, top + n))
            top += n
        else:  # rewriting or interleaving earlier steps (duplicates within one batch)
            steps = [rng.randint(0, top + 10) for _ in range(n)]
        stamps = [rng.random() for _ in steps]
        values = random_values(rng, len(steps), 0.1)
        out.append(sort_points(steps, stamps, values))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_merge_packed_matches_merge_chunks(seed: int) -> None:
    rng = random.Random(seed)
    chunks = chunks_of(rng, rng.randint(0, 12))
    packed = [(pack_chunk(*c), len(c[0])) for c in chunks]
    want = merge_chunks(unpack_chunk(data, n) for data, n in packed)
    steps, stamps, values = merge_packed(packed)
    assert steps.dtype == np.int64 and steps.tolist() == want[0]
    assert stamps.tolist() == want[1]
    assert all(same_float(a, b) for a, b in zip(values.tolist(), want[2]))
    assert len(values) == len(want[2])


def test_the_sdk_does_not_import_numpy() -> None:
    code = ("import sys, tracklet, tracklet.core.chunks, tracklet.core.downsample; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
