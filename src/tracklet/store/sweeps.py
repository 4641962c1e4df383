"""Sweep value types, shared by the store, the server and the SDK.

A sweep hands out runs: each claim is a ``SweepRunInfo`` with the parameters the run
must use. Its ``state`` is the sweep's view of that run (``claimed`` until the agent
reports back, then ``finished``, ``failed`` or ``stopped``); ``run_state`` and
``summary`` are the run's own, as stored (None and empty before the run's first record
arrives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SWEEP_STATES = ("running", "paused", "finished", "cancelled")
CLAIM_STATES = ("claimed", "finished", "failed", "stopped")

# state -> the states it may move to (set_sweep_state)
TRANSITIONS = {
    "running": ("paused", "finished", "cancelled"),
    "paused": ("running", "finished", "cancelled"),
    "finished": (),
    "cancelled": (),
}


@dataclass(frozen=True)
class SweepInfo:
    sweep_id: str
    entity: str
    project: str
    name: str | None
    method: str
    config: dict[str, Any]
    state: str
    created_at: float
    updated_at: float
    created_by: str | None = None
    run_count: int = 0

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.sweep_id}"


@dataclass(frozen=True)
class SweepRunInfo:
    sweep_id: str
    run_id: str
    seq: int
    params: dict[str, Any]
    grid_index: int | None
    state: str
    created_at: float
    updated_at: float
    agent: str | None = None
    run_state: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


# what the controller returns inside a claim: (params, grid index), or None when done
Proposer = Callable[[SweepInfo, list[SweepRunInfo]], "tuple[dict[str, Any], int | None] | None"]


@dataclass(frozen=True)
class Claim:
    """The answer to "next run, please": the run to do (None when there is none) and the
    sweep as it is now (its state says why there is none: finished, paused, cancelled)."""

    run: SweepRunInfo | None
    sweep: SweepInfo
