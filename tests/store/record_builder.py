"""Builds a run-log segment's records with contiguous seqs, as the writer does."""

from __future__ import annotations

import itertools
from typing import Any

from tracklet.core import records as r
from tracklet.core.segment import SegmentHeader
from tracklet.store.base import RunRef

_segments = itertools.count()


class Segment:
    """Builds the records of one run-log segment with contiguous seqs, like the writer."""

    def __init__(self, run_id: str = "run00001", *, project: str = "proj",
                 entity: str = "team", t0: float = 1_000_000.0,
                 segment: str | None = None) -> None:
        self.header = SegmentHeader(segment=segment or f"seg{next(_segments):013d}",
                                    run_id=run_id, project=project, entity=entity)
        self.ref = RunRef(entity, project, run_id)
        self.seq = 0
        self.ts = t0

    def _next(self) -> tuple[int, float]:
        self.seq += 1
        self.ts += 1.0
        return self.seq, self.ts

    def start(self, name: str | None = None, *, resumed: bool = False, **kw: Any) -> r.RunStart:
        seq, ts = self._next()
        h = self.header
        return r.RunStart(seq, ts, h.run_id, h.project, h.entity, name or h.run_id,
                          resumed=resumed, **kw)

    def history(self, step: int, **values: float) -> r.History:
        seq, ts = self._next()
        return r.History(seq, ts, step, dict(values))

    def hist(self, step: int, values: dict[str, float]) -> r.History:
        seq, ts = self._next()
        return r.History(seq, ts, step, values)

    def system(self, values: dict[str, float]) -> r.System:
        seq, ts = self._next()
        return r.System(seq, ts, values)

    def console(self, *lines: tuple[str, str]) -> r.Console:
        seq, ts = self._next()
        return r.Console(seq, ts, [(ts, stream, text) for stream, text in lines])

    def update(self, **fields: Any) -> r.RunUpdate:
        seq, ts = self._next()
        return r.RunUpdate(seq, ts, fields)

    def meta(self, data: dict[str, Any]) -> r.Metadata:
        seq, ts = self._next()
        return r.Metadata(seq, ts, data)

    def config(self, values: dict[str, Any], locked: list[str] | None = None) -> r.ConfigUpdate:
        seq, ts = self._next()
        return r.ConfigUpdate(seq, ts, values, locked or [])

    def summary(self, values: dict[str, Any],
                removed: list[str] | None = None) -> r.SummaryUpdate:
        seq, ts = self._next()
        return r.SummaryUpdate(seq, ts, values, removed or [])

    def define(self, name: str, summary: list[str], goal: str | None = None,
               step_metric: str | None = None) -> r.DefineMetric:
        seq, ts = self._next()
        return r.DefineMetric(seq, ts, name, step_metric, summary, goal)

    def heartbeat(self) -> r.Heartbeat:
        seq, ts = self._next()
        return r.Heartbeat(seq, ts)

    def finish(self, state: str = "finished", exit_code: int | None = 0,
               traceback: str | None = None, dropped: int = 0) -> r.RunFinish:
        seq, ts = self._next()
        return r.RunFinish(seq, ts, state, exit_code, traceback, dropped)
