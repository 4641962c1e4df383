"""Series as numpy arrays: the server's read path for charts and live updates.

``core.chunks`` stays pure Python for the SDK (``import tracklet`` must not load numpy);
this module is its vectorised twin on the read side. A chunk blob is three little-endian
arrays of ``n`` items (int64 steps, float64 wall times, float64 values), so a whole series
is one ``frombuffer`` per chunk and one ``concatenate``: no Python object per point.

``ArraySeriesReader`` is an optional store capability (see ``store.base``): the SQL store
has it; the server falls back on ``read_series`` for a store without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from tracklet.store.base import RunRef, Series

Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]

@dataclass(frozen=True)
class SeriesArrays:
    """One metric of one run: points sorted by step (each step once), NaN kept."""

    key: str
    steps: Int64s
    timestamps: Float64s
    values: Float64s

    @classmethod
    def from_series(cls, series: Series) -> SeriesArrays:
        return cls(series.key, np.asarray(series.steps, dtype=np.int64),
                   np.asarray(series.timestamps, dtype=np.float64),
                   np.asarray(series.values, dtype=np.float64))

    def to_series(self) -> Series:
        return Series(self.key, self.steps.tolist(), self.timestamps.tolist(),
                      self.values.tolist())

    def __len__(self) -> int:
        return int(self.steps.shape[0])


@dataclass(frozen=True)
class SeriesHead:
    """Where one series of a run stands: what live updates poll (cheap: no points read)."""

    run: RunRef
    key: str
    max_step: int | None
    count: int
    state: str


@runtime_checkable
class ArraySeriesReader(Protocol):
    """Optional store capability: many runs' series at once, as arrays."""

    def read_series_arrays(self, refs: Sequence[RunRef], keys: Sequence[str], *,
                           min_step: int | None = None, max_step: int | None = None,
                           limit: int | None = None,
                           ) -> dict[tuple[RunRef, str], SeriesArrays]:
        """Points of each (run, key) with min_step <= step <= max_step (the first
        ``limit``); pairs whose key the run lacks are absent; a missing run raises
        ``NotFoundError``."""
        ...

    def read_series_heads(self, refs: Sequence[RunRef],
                          keys: Sequence[str]) -> list[SeriesHead]:
        """The highest step and point count of each (run, key) that exists, with the run's
        state; runs that do not exist are left out."""
        ...


def merge_packed(chunks: Iterable[tuple[bytes, int]]) -> tuple[Int64s, Float64s, Float64s]:
    """Points of packed chunks given in write order (each sorted by step, each step once:
    see ``core.chunks.sort_points``): sorted by step, the last write of a step wins."""
    parts = [(np.frombuffer(data, dtype="<f8", count=3 * n), n) for data, n in chunks if n]
    total = sum(n for _, n in parts)
    steps = np.empty(total, dtype=np.int64)
    stamps = np.empty(total, dtype=np.float64)
    values = np.empty(total, dtype=np.float64)
    ordered, pos, last = True, 0, 0
    for words, n in parts:  # three copies per chunk, no object per point
        chunk_steps = words[:n].view("<i8")
        if pos and chunk_steps[0] <= last:
            ordered = False
        last = chunk_steps[n - 1]
        steps[pos:pos + n] = chunk_steps
        stamps[pos:pos + n] = words[n:2 * n]
        values[pos:pos + n] = words[2 * n:]
        pos += n
    if not ordered:
        # some step is written twice or chunks interleave: keep each step's last write.
        # np.unique sorts stably when asked for indices, so on the reversed arrays the
        # first index of a step is its last write
        rev = steps[::-1]
        unique, first = np.unique(rev, return_index=True)
        idx = (total - 1) - first
        steps, stamps, values = unique.astype(np.int64), stamps[idx], values[idx]
    return steps, stamps, values


def cut(key: str, merged: tuple[Int64s, Float64s, Float64s], lo: int | None, hi: int | None,
        limit: int | None) -> SeriesArrays:
    """The points with lo <= step <= hi, the first ``limit`` of them."""
    steps, stamps, values = merged
    start = 0 if lo is None else int(np.searchsorted(steps, lo, side="left"))
    end = len(steps) if hi is None else int(np.searchsorted(steps, hi, side="right"))
    if limit is not None:
        end = min(end, start + limit)
    if (start, end) != (0, len(steps)):
        steps, stamps, values = steps[start:end], stamps[start:end], values[start:end]
    return SeriesArrays(key, steps, stamps, values)
