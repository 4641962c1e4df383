"""Packing a series' points into chunks: the unit the store keeps history in.

A chunk is the points one ingest batch brought for one key: parallel arrays of steps
(int64), wall times (float64) and values (float64, NaN kept), little endian. Storing a
batch as one row instead of one row per point makes ingest and reads an order of
magnitude cheaper; ``merge_chunks`` restores per-point semantics (sorted by step, the
same step keeps the value written last).
"""

from __future__ import annotations

import operator
import sys
from array import array
from collections.abc import Iterable, Sequence

_SWAP = sys.byteorder != "little"


def sort_points(steps: list[int], stamps: list[float], values: list[float]
                ) -> tuple[list[int], list[float], list[float]]:
    """Points in step order, the last of several writes to one step kept; chunks are
    stored this way, so merging them only has to look at chunk boundaries."""
    if is_increasing(steps):
        return steps, stamps, values
    latest = {step: i for i, step in enumerate(steps)}
    order = sorted(latest)
    idx = [latest[s] for s in order]
    return order, [stamps[i] for i in idx], [values[i] for i in idx]


def pack_chunk(steps: Sequence[int], stamps: Sequence[float], values: Sequence[float]) -> bytes:
    """Pack points that ``sort_points`` ordered."""
    return pack_axis(steps, stamps) + pack_values(values)


def pack_axis(steps: Sequence[int], stamps: Sequence[float]) -> bytes:
    """The first part of a chunk: steps and wall times. Series logged together share it,
    so a batch packs it once for all of them."""
    return _packed(array("q", steps)) + _packed(array("d", stamps))


def pack_values(values: Sequence[float]) -> bytes:
    """The last part of a chunk: the values."""
    return _packed(array("d", values))


def is_increasing(steps: Sequence[int]) -> bool:
    """True when ``steps`` strictly increase: the points are in order, no step twice."""
    return all(map(operator.lt, steps, steps[1:]))


def _packed(part: array[int] | array[float]) -> bytes:
    if _SWAP:
        part.byteswap()
    return part.tobytes()


def unpack_chunk(data: bytes, count: int) -> tuple[array[int], array[float], array[float]]:
    steps, stamps, values = array("q"), array("d"), array("d")
    size = 8 * count
    steps.frombytes(data[:size])
    stamps.frombytes(data[size:2 * size])
    values.frombytes(data[2 * size:3 * size])
    if _SWAP:
        for part in (steps, stamps, values):
            part.byteswap()
    return steps, stamps, values


def merge_chunks(chunks: Iterable[tuple[array[int], array[float], array[float]]]
                 ) -> tuple[list[int], list[float], list[float]]:
    """Points of chunks (each sorted, see ``sort_points``) given in write order: sorted by
    step, the last write of a step wins."""
    steps: list[int] = []
    stamps: list[float] = []
    values: list[float] = []
    ordered = True
    for s, t, v in chunks:
        if ordered and s and steps and s[0] <= steps[-1]:
            ordered = False
        steps.extend(s)
        stamps.extend(t)
        values.extend(v)
    if ordered:
        return steps, stamps, values
    latest: dict[int, int] = {}
    for i, step in enumerate(steps):
        latest[step] = i  # the later write of a step wins
    order = sorted(latest)
    idx = [latest[s] for s in order]
    return order, [stamps[i] for i in idx], [values[i] for i in idx]

