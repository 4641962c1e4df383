"""Downsampling (tracklet.core.downsample): spikes survive, the newest point is always kept."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklet.core.downsample import Bucket, bucketize, even_indices

nan = math.nan


def same(a: list[Bucket], b: list[Bucket]) -> bool:
    """Bucket lists equal field by field, NaN equal to NaN."""
    def key(bk: Bucket) -> tuple[str, ...]:
        return tuple(repr(v) for v in (bk.x, bk.min, bk.max, bk.mean, bk.last, bk.count))
    return [key(x) for x in a] == [key(x) for x in b]


# -- even_indices ------------------------------------------------------------------------------


def test_even_indices_keep_first_and_last() -> None:
    assert even_indices(10, 3) == [0, 4, 9] or even_indices(10, 3) == [0, 5, 9]
    assert even_indices(100, 2) == [0, 99]
    assert even_indices(5, 5) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("n", "samples", "expected"), [
    (0, 5, []), (5, 0, []), (5, -1, []), (3, 10, [0, 1, 2]), (7, 1, [6]), (1, 1, [0]),
])
def test_even_indices_edges(n: int, samples: int, expected: list[int]) -> None:
    assert even_indices(n, samples) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.integers(2, 5000))
def test_even_indices_property(n: int, samples: int) -> None:
    got = even_indices(n, samples)
    assert got[0] == 0
    assert got[-1] == n - 1
    assert len(got) == min(n, samples)
    assert all(a < b for a, b in itertools.pairwise(got))


# -- bucketize -----------------------------------------------------------------------------------


def test_spike_survives_in_its_bucket() -> None:
    xs = [float(i) for i in range(10_000)]
    ys = [math.sin(i / 100) for i in range(10_000)]
    ys[4321] = 1e6
    ys[777] = -1e6
    out = bucketize(xs, ys, 50)
    assert len(out) == 50
    spike = next(b for b in out if b.max == 1e6)
    dip = next(b for b in out if b.min == -1e6)
    # the bucket holding index 4321 is the one that shows the spike
    width = (xs[-1] - xs[0]) / 50
    assert out.index(spike) == int(4321 / width)
    assert out.index(dip) == int(777 / width)
    assert sum(b.count for b in out) == len(xs)


def test_newest_point_is_the_last_buckets_last() -> None:
    xs = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0]
    ys = [5.0, 6.0, 7.0, 8.0, 9.0, 42.0]
    out = bucketize(xs, ys, 3)
    assert out[-1].last == 42.0
    assert out[-1].x == 11.0


def test_bucket_values() -> None:
    out = bucketize([0, 1, 2, 3], [4.0, 2.0, 6.0, 8.0], 2)
    assert out == [Bucket(x=1, min=2.0, max=4.0, mean=3.0, last=2.0, count=2),
                   Bucket(x=3, min=6.0, max=8.0, mean=7.0, last=8.0, count=2)]


def test_nan_is_skipped_in_min_max_mean_but_can_be_last() -> None:
    out = bucketize([0, 1, 2, 3], [1.0, nan, 3.0, nan], 1)
    assert len(out) == 1
    b = out[0]
    assert (b.min, b.max, b.mean, b.count) == (1.0, 3.0, 2.0, 4)
    assert math.isnan(b.last)


def test_all_nan_bucket_has_nan_aggregates() -> None:
    out = bucketize([0, 1, 2, 3], [nan, nan, 5.0, 6.0], 2)
    assert math.isnan(out[0].min) and math.isnan(out[0].max) and math.isnan(out[0].mean)
    assert math.isnan(out[0].last) and out[0].count == 2
    assert (out[1].min, out[1].max, out[1].last) == (5.0, 6.0, 6.0)


def test_single_x_is_one_bucket() -> None:
    out = bucketize([3, 3, 3], [1.0, 9.0, 2.0], 10)
    assert out == [Bucket(x=3, min=1.0, max=9.0, mean=4.0, last=2.0, count=3)]


def test_empty_input_or_no_buckets() -> None:
    assert bucketize([], [], 10) == []
    assert bucketize([1.0], [1.0], 0) == []


def test_bucketize_is_deterministic() -> None:
    rng = random.Random(7)
    xs = sorted(rng.uniform(0, 1000) for _ in range(5000))
    ys = [rng.gauss(0, 1) if rng.random() > 0.05 else nan for _ in xs]
    assert same(bucketize(xs, ys, 64), bucketize(list(xs), list(ys), 64))


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), finite), min_size=1, max_size=300),
       st.integers(1, 64))
def test_bucketize_property(points: list[tuple[int, float]], buckets: int) -> None:
    points.sort(key=lambda p: p[0])
    xs = [float(p[0]) for p in points]
    ys = [p[1] for p in points]
    out = bucketize(xs, ys, buckets)
    assert 1 <= len(out) <= buckets
    assert sum(b.count for b in out) == len(xs)
    assert max(b.max for b in out) == max(ys)
    assert min(b.min for b in out) == min(ys)
    assert out[-1].last == ys[-1] and out[-1].x == xs[-1]
    assert all(a.x < b.x for a, b in itertools.pairwise(out))
    for b in out:
        tol = 1e-9 * max(1.0, abs(b.min), abs(b.max))
        assert b.min - tol <= b.mean <= b.max + tol
        assert b.min <= b.last <= b.max
