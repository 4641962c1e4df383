"""Run summaries: per-key statistics and what ``define_metric`` asks to show.

A key's summary is its last value by default. ``define_metric(name, summary=...)`` can ask
for any of ``min, max, mean, first, last, best`` (comma separated) or ``none``; then the
summary value is a dict such as ``{"min": 0.1, "last": 0.2}``. ``best`` needs a goal
(``minimize`` or ``maximize``). NaN values are kept in the series and as first/last, but
min, max, mean and best skip them.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUMMARY_KINDS = ("min", "max", "mean", "first", "last", "best", "none")
GOALS = ("minimize", "maximize")


@dataclass
class MetricStats:
    """Running statistics of one series, mergeable batch by batch."""

    count: int = 0
    finite: int = 0
    total: float = 0.0
    min: float | None = None
    max: float | None = None
    first: float | None = None
    first_step: int | None = None
    last: float | None = None
    last_step: int | None = None
    max_step: int | None = None

    def add(self, step: int, value: float) -> None:
        self.count += 1
        if self.first_step is None:
            self.first, self.first_step = value, step
        self.last, self.last_step = value, step  # the most recently logged, as in W&B
        if self.max_step is None or step > self.max_step:
            self.max_step = step
        if math.isnan(value):
            return
        self.finite += 1
        self.total += value
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    def add_many(self, steps: list[int], values: list[float], *,
                 top: int | None = None) -> None:
        """``add`` for a batch, in C-speed builtins (the store's ingest path); ``top`` is
        ``max(steps)`` when the caller knows it already."""
        if not values:
            return
        self.count += len(values)
        if self.first_step is None:
            self.first, self.first_step = values[0], steps[0]
        self.last, self.last_step = values[-1], steps[-1]
        top = max(steps) if top is None else top
        if self.max_step is None or top > self.max_step:
            self.max_step = top
        total = sum(values)
        finite = values if total == total else [v for v in values if v == v]  # NaN: skip
        if finite is not values:
            if not finite:
                return
            total = sum(finite)
        self.finite += len(finite)
        self.total += total
        lo, hi = min(finite), max(finite)
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)

    def to_row(self) -> dict[str, Any]:
        return {"count": self.count, "finite": self.finite, "total": self.total,
                "min": self.min, "max": self.max, "first": self.first,
                "first_step": self.first_step, "last": self.last, "last_step": self.last_step,
                "max_step": self.max_step}

    @classmethod
    def from_row(cls, row: Any) -> MetricStats:
        """From a stored row, where NaN became NULL (SQLite has no NaN)."""
        stats = cls(**{k: row[k] for k in cls().to_row()})
        if stats.count:
            stats.first = math.nan if stats.first is None else stats.first
            stats.last = math.nan if stats.last is None else stats.last
            stats.total = math.nan if stats.total is None else stats.total
        return stats


@dataclass(frozen=True)
class MetricDef:
    name: str
    step_metric: str | None = None
    summary: tuple[str, ...] = ()
    goal: str | None = None

    @property
    def is_glob(self) -> bool:
        return any(c in self.name for c in "*?[")


@dataclass
class MetricDefs:
    """The define_metric declarations of a run: exact names win over globs, later over earlier."""

    defs: dict[str, MetricDef] = field(default_factory=dict)

    def add(self, d: MetricDef) -> None:
        self.defs.pop(d.name, None)
        self.defs[d.name] = d

    def lookup(self, key: str) -> MetricDef | None:
        exact = self.defs.get(key)
        if exact is not None:
            return exact
        found = None
        for d in self.defs.values():
            if d.is_glob and fnmatch.fnmatchcase(key, d.name):
                found = d
        return found

    def to_json(self) -> list[dict[str, Any]]:
        return [{"name": d.name, "step_metric": d.step_metric, "summary": list(d.summary),
                 "goal": d.goal} for d in self.defs.values()]

    @classmethod
    def from_json(cls, items: Iterable[Mapping[str, Any]] | None) -> MetricDefs:
        defs = cls()
        for item in items or ():
            defs.add(MetricDef(item["name"], item.get("step_metric"),
                               tuple(item.get("summary") or ()), item.get("goal")))
        return defs


def parse_summary(summary: str | Iterable[str] | None, goal: str | None) -> tuple[str, ...]:
    """Validate ``define_metric``'s ``summary=`` and ``goal=`` arguments."""
    if goal is not None and goal not in GOALS:
        raise ValueError(f"goal must be 'minimize' or 'maximize', got {goal!r}")
    if summary is None:
        return ()
    parts = summary.split(",") if isinstance(summary, str) else list(summary)
    kinds = tuple(p.strip() for p in parts if p.strip())
    for kind in kinds:
        if kind not in SUMMARY_KINDS:
            raise ValueError(
                f"summary {kind!r} is not one of {', '.join(SUMMARY_KINDS)}"
            )
    if "none" in kinds and len(kinds) > 1:
        raise ValueError("summary 'none' cannot be combined with other summaries")
    if "best" in kinds and goal is None:
        raise ValueError("summary 'best' needs goal='minimize' or goal='maximize'")
    return kinds


def summary_value(stats: MetricStats, d: MetricDef | None) -> Any:
    """What the summary shows for one key; ``None`` result with 'none' means leave it out."""
    kinds = d.summary if d is not None and d.summary else ("last",)
    if kinds == ("last",):
        return stats.last
    if kinds == ("none",):
        return None
    out: dict[str, Any] = {}
    for kind in kinds:
        if kind == "min":
            out["min"] = stats.min
        elif kind == "max":
            out["max"] = stats.max
        elif kind == "mean":
            out["mean"] = stats.total / stats.finite if stats.finite else None
        elif kind == "first":
            out["first"] = stats.first
        elif kind == "last":
            out["last"] = stats.last
        elif kind == "best":
            assert d is not None
            out["best"] = stats.min if d.goal == "minimize" else stats.max
    return out


def build_summary(stats: Mapping[str, MetricStats], defs: MetricDefs,
                  overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The whole summary: computed values, then the user's own values on top."""
    out: dict[str, Any] = {}
    for key, st in stats.items():
        d = defs.lookup(key)
        if d is not None and d.summary == ("none",):
            continue
        out[key] = summary_value(st, d)
    out.update(overrides)
    return out
