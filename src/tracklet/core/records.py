"""The records a run is made of.

A training process turns every call (``init``, ``log``, ``config.update`` ...) into records.
The writer numbers them (``seq``, per run-log segment, from 1, contiguous), appends them to
the run log and ships them; stores apply each ``(run, segment, seq)`` exactly once.
"""

from __future__ import annotations

from typing import Any

import msgspec


class RunStart(msgspec.Struct, tag="start", array_like=True):
    """First record of every segment: who the run is and how it was started."""

    seq: int
    ts: float
    run_id: str
    project: str
    entity: str
    name: str
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    notes: str | None = None
    resumed: bool = False


class RunUpdate(msgspec.Struct, tag="update", array_like=True):
    """Name, group, job_type, tags or notes changed after ``init``."""

    seq: int
    ts: float
    fields: dict[str, Any]


class Metadata(msgspec.Struct, tag="meta", array_like=True):
    """Host and environment facts (host, python, git, command line ...)."""

    seq: int
    ts: float
    data: dict[str, Any]


class History(msgspec.Struct, tag="h", array_like=True):
    """One committed step of scalar metrics."""

    seq: int
    ts: float
    step: int
    values: dict[str, float]


class System(msgspec.Struct, tag="sys", array_like=True):
    """One sample of system metrics (keys start with ``system/``)."""

    seq: int
    ts: float
    values: dict[str, float]


class Console(msgspec.Struct, tag="out", array_like=True):
    """Console lines: ``(unix time, stream, text)`` each."""

    seq: int
    ts: float
    lines: list[tuple[float, str, str]]


class ConfigUpdate(msgspec.Struct, tag="config", array_like=True):
    """New or changed config values (nested), and keys that are locked (set by a sweep)."""

    seq: int
    ts: float
    values: dict[str, Any]
    locked: list[str] = msgspec.field(default_factory=list)


class SummaryUpdate(msgspec.Struct, tag="summary", array_like=True):
    """Summary values set by the user (they win over computed ones); keys removed."""

    seq: int
    ts: float
    values: dict[str, Any]
    removed: list[str] = msgspec.field(default_factory=list)


class DefineMetric(msgspec.Struct, tag="define", array_like=True):
    """``define_metric``: x-axis, summary aggregates and goal for a key or glob."""

    seq: int
    ts: float
    name: str
    step_metric: str | None = None
    summary: list[str] = msgspec.field(default_factory=list)
    goal: str | None = None


class Media(msgspec.Struct, tag="media", array_like=True):
    """Media values logged at a step: key -> W&B-shaped JSON with a ``_type``
    (``{"_type": "histogram", "values": [...], "bins": [...]}``)."""

    seq: int
    ts: float
    step: int
    values: dict[str, dict[str, Any]]


class Heartbeat(msgspec.Struct, tag="hb", array_like=True):
    seq: int
    ts: float


class RunFinish(msgspec.Struct, tag="finish", array_like=True):
    """The run ended: state, exit code, traceback of a failure, and what was lost."""

    seq: int
    ts: float
    state: str
    exit_code: int | None = None
    traceback: str | None = None
    dropped: int = 0


Record = (
    RunStart | RunUpdate | Metadata | History | System | Console | ConfigUpdate | SummaryUpdate
    | DefineMetric | Heartbeat | RunFinish | Media
)

RUN_STATES = ("running", "finished", "failed", "crashed", "killed")
FINAL_STATES = ("finished", "failed", "crashed", "killed")
