"""``SweepController``: sweeps over a ``SqlSweepStore`` (local mode and the server).

It checks configs when a sweep is created, gives sweeps and runs their ids, and claims
runs with ``controller.propose`` deciding inside the store's claim transaction.
"""

from __future__ import annotations

import random
from typing import Any

from tracklet.core.ids import check_name, new_run_id
from tracklet.errors import ValidationError
from tracklet.store.base import MetadataStore, RunRef
from tracklet.store.sql.sweeps import SqlSweepStore
from tracklet.store.sweeps import Claim, SweepInfo, SweepRunInfo
from tracklet.sweeps.controller import Tried, propose, require_optuna, stop_runs
from tracklet.sweeps.spec import parse_sweep_config

_rng = random.SystemRandom()


def new_sweep_id() -> str:
    return new_run_id(_rng, 8)


class SweepController:
    """What the SDK (local mode) and the server do with sweeps."""

    def __init__(self, store: SqlSweepStore) -> None:
        self.store = store

    def create(self, entity: str, project: str, config: dict[str, Any], *,
               created_by: str | None = None) -> SweepInfo:
        try:
            check_name(entity, what="entity")
            check_name(project, what="project")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        spec = parse_sweep_config(config)
        if spec.method == "bayes":
            require_optuna()  # say so now, not at the first claim
        return self.store.create_sweep(new_sweep_id(), entity, project, method=spec.method,
                                       config=dict(config), name=spec.name,
                                       created_by=created_by)

    def claim(self, sweep_id: str, *, agent: str | None = None) -> Claim:
        run_id = new_run_id(_rng, 8)

        def proposer(info: SweepInfo, tried: list[SweepRunInfo]
                     ) -> tuple[dict[str, Any], int | None] | None:
            spec = parse_sweep_config(info.config)
            found = propose(spec, info.sweep_id, [
                Tried(t.params, t.grid_index, _effective_state(t), t.summary) for t in tried])
            return None if found is None else (found.params, found.grid_index)

        return self.store.claim_run(sweep_id, run_id=run_id, propose=proposer, agent=agent)


def should_stop(sweeps: SqlSweepStore, metadata: MetadataStore, sweep_id: str,
                run_id: str) -> bool:
    """Whether the sweep's early termination (hyperband) stops ``run_id`` now, judged on
    the metric histories of every run the sweep created."""
    info = sweeps.get_sweep(sweep_id)
    spec = parse_sweep_config(info.config)
    if spec.early_terminate is None or spec.metric is None:
        return False
    histories: dict[str, list[float]] = {}
    running: set[str] = set()
    for t in sweeps.list_sweep_runs(sweep_id):
        if t.run_state is None:
            continue
        if t.state == "claimed" and t.run_state == "running":
            running.add(t.run_id)
        found = metadata.read_series(RunRef(info.entity, info.project, t.run_id),
                                     [spec.metric.name])
        histories[t.run_id] = found[0].values if found else []
    if run_id not in running:
        return False
    return run_id in stop_runs(spec, histories, running)


def _effective_state(t: SweepRunInfo) -> str:
    """A run counts as finished for the search once the run itself finished (its agent
    may not have reported yet)."""
    if t.run_state == "finished":
        return "finished"
    return t.state
