"""``Summary``: the one-number-per-metric view of a run, shaped like ``wandb.summary``.

The writer thread feeds it every committed row (``on_history``); reading waits for the
writer to catch up, so the value read is the value just logged. Values set by the user
win over computed ones and are recorded in the run log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from tracklet.core.summary import MetricDef, MetricDefs, MetricStats, summary_value
from tracklet.core.values import check_key, to_json_value


class SummaryTracker:
    """Last values and, for keys whose define_metric asks for more, statistics."""

    def __init__(self, last: dict[str, Any] | None = None) -> None:
        self.last: dict[str, Any] = dict(last or {})
        self.stats: dict[str, MetricStats] = {}
        self.defs = MetricDefs()
        self._wants: dict[str, MetricDef | None] = {}
        self._lock = threading.Lock()

    def define(self, d: MetricDef) -> None:
        with self._lock:
            self.defs.add(d)
            self._wants.clear()

    def on_history(self, values: dict[str, float], step: int) -> None:
        with self._lock:
            self.last.update(values)
            if not self.defs.defs:
                return
            wants = self._wants
            for key, value in values.items():
                if key not in wants:
                    d = self.defs.lookup(key)
                    wants[key] = d if d is not None and d.summary not in ((), ("last",)) else None
                if wants[key] is not None:
                    self.stats.setdefault(key, MetricStats()).add(step, float(value))

    def computed(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {}
            for key, value in self.last.items():
                d = self.defs.lookup(key)
                if d is None or d.summary in ((), ("last",)):
                    out[key] = value
                elif d.summary != ("none",) and key in self.stats:
                    out[key] = summary_value(self.stats[key], d)
            return out


class Summary(MutableMapping[str, Any]):
    def __init__(self, tracker: SummaryTracker, sync: Callable[[], None],
                 emit: Callable[[dict[str, Any], list[str]], None] | None) -> None:
        self._tracker = tracker
        self._sync = sync
        self._emit = emit
        self._overrides: dict[str, Any] = {}

    def _view(self) -> dict[str, Any]:
        self._sync()
        out = self._tracker.computed()
        out.update(self._overrides)
        return out

    def __getitem__(self, key: str) -> Any:
        return self._view()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __delitem__(self, key: str) -> None:
        # only values the user set can be removed; computed ones follow the history
        if key not in self._overrides:
            raise KeyError(f"{key!r} was not set by hand; computed summary values cannot "
                           "be removed (define_metric(key, summary='none') hides them)")
        del self._overrides[key]
        if self._emit is not None:
            self._emit({}, [key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        values = dict(other, **kwargs)
        clean = {check_key(k, what="summary key"): to_json_value(v, path=f"summary.{k}")
                 for k, v in values.items()}
        self._overrides.update(clean)
        if self._emit is not None and clean:
            self._emit(clean, [])

    def as_dict(self) -> dict[str, Any]:
        return self._view()

    def __repr__(self) -> str:
        return f"Summary({self._view()!r})"
