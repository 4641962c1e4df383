"""Sweeps in the store (SQLite and PostgreSQL): claims are atomic across agents, run_cap
holds, states move as documented, and a sweep's runs carry their runs' state and summary."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from record_builder import Segment

from tracklet.core import records as r
from tracklet.errors import ConflictError, NotFoundError, ValidationError
from tracklet.store.base import RunFilter
from tracklet.store.sql.store import SqlMetadataStore
from tracklet.store.sql.sweeps import SqlSweepStore
from tracklet.sweeps.service import SweepController

GRID = {"method": "grid", "metric": {"name": "loss"},
        "parameters": {"a": {"values": [1, 2]}, "b": {"values": ["x", "y", "z"]}}}


@pytest.fixture
def sweeps(store_url: str) -> Iterator[SqlSweepStore]:
    s = SqlSweepStore(store_url)
    yield s
    s.close()


def test_create_get_list(sweeps: SqlSweepStore) -> None:
    c = SweepController(sweeps)
    first = c.create("team", "proj", {**GRID, "name": "first"})
    second = c.create("team", "proj", {"method": "random",
                                       "parameters": {"lr": {"min": 0.0, "max": 1.0}}})
    c.create("team", "other", GRID)
    assert len(first.sweep_id) >= 8 and first.sweep_id != second.sweep_id
    got = sweeps.get_sweep(first.sweep_id, "team", "proj")
    assert (got.name, got.method, got.state, got.config, got.run_count) == (
        "first", "grid", "running", {**GRID, "name": "first"}, 0)
    assert [s.sweep_id for s in sweeps.list_sweeps("team", "proj")] == [second.sweep_id,
                                                                         first.sweep_id]
    with pytest.raises(NotFoundError, match="no sweep"):
        sweeps.get_sweep(first.sweep_id, "team", "other")
    with pytest.raises(NotFoundError):
        sweeps.get_sweep("nosuchid")


def test_bad_config_is_refused_before_anything_is_stored(sweeps: SqlSweepStore) -> None:
    with pytest.raises(ValidationError, match=r"parameters\.lr"):
        SweepController(sweeps).create("team", "proj", {"method": "grid", "parameters": {
            "lr": {"min": 0.0, "max": 1.0}}})
    assert sweeps.list_sweeps("team", "proj") == []


def test_concurrent_claims_never_hand_out_a_grid_point_twice(store_url: str) -> None:
    """Four agents, each with its own store (engine, connections), claim at once."""
    setup = SqlSweepStore(store_url)
    sweep = SweepController(setup).create("team", "proj", GRID)
    got: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def agent() -> None:
        own = SqlSweepStore(store_url)
        try:
            start.wait()
            while True:
                claim = SweepController(own).claim(sweep.sweep_id)
                if claim.run is None:
                    return
                with lock:
                    got.append((claim.run.params["a"], claim.run.params["b"]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=agent) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(got) == [(a, b) for a in (1, 2) for b in ("x", "y", "z")]
    done = setup.get_sweep(sweep.sweep_id)
    assert (done.state, done.run_count) == ("finished", 6)
    handed = setup.list_sweep_runs(sweep.sweep_id)
    assert [h.seq for h in handed] == list(range(6))
    assert sorted(h.grid_index for h in handed if h.grid_index is not None) == list(range(6))
    setup.close()


def test_run_cap_holds_under_concurrent_claims(store_url: str) -> None:
    setup = SqlSweepStore(store_url)
    sweep = SweepController(setup).create("team", "proj", {
        "method": "random", "run_cap": 5, "parameters": {"x": {"min": 0.0, "max": 1.0}}})
    claimed: list[str] = []
    lock = threading.Lock()

    def agent() -> None:
        own = SqlSweepStore(store_url)
        try:
            for _ in range(4):
                claim = SweepController(own).claim(sweep.sweep_id)
                if claim.run is not None:
                    with lock:
                        claimed.append(claim.run.run_id)
        finally:
            own.close()

    threads = [threading.Thread(target=agent) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(claimed) == len(set(claimed)) == 5
    assert setup.get_sweep(sweep.sweep_id).state == "finished"
    setup.close()


def test_states_pause_resume_cancel(sweeps: SqlSweepStore) -> None:
    c = SweepController(sweeps)
    sweep = c.create("team", "proj", GRID)
    assert sweeps.set_sweep_state(sweep.sweep_id, "paused").state == "paused"
    paused = c.claim(sweep.sweep_id)
    assert paused.run is None and paused.sweep.state == "paused"
    assert sweeps.set_sweep_state(sweep.sweep_id, "running").state == "running"
    assert c.claim(sweep.sweep_id).run is not None
    assert sweeps.set_sweep_state(sweep.sweep_id, "cancelled").state == "cancelled"
    with pytest.raises(ConflictError, match="is cancelled; it cannot become running"):
        sweeps.set_sweep_state(sweep.sweep_id, "running")
    with pytest.raises(ValidationError, match="not 'sleeping'"):
        sweeps.set_sweep_state(sweep.sweep_id, "sleeping")
    assert c.claim(sweep.sweep_id).run is None


def test_sweep_runs_carry_their_runs_state_and_summary(store_url: str,
                                                       sweeps: SqlSweepStore) -> None:
    c = SweepController(sweeps)
    sweep = c.create("team", "proj", GRID)
    first = c.claim(sweep.sweep_id, agent="host-1").run
    second = c.claim(sweep.sweep_id, agent="host-2").run
    assert first is not None and second is not None
    metadata = SqlMetadataStore(store_url)
    seg = Segment(first.run_id, project="proj", entity="team")
    metadata.append_records(seg.header, [seg.start(), seg.history(0, loss=0.5),
                                         seg.history(1, loss=0.25),
                                         r.RunFinish(seg.seq + 1, seg.ts + 1, "finished", 0)])
    other = Segment("notinsweep", project="proj", entity="team")
    metadata.append_records(other.header, [other.start()])
    elsewhere = Segment(first.run_id, project="elsewhere", entity="team")  # same id
    metadata.append_records(elsewhere.header, [elsewhere.start()])
    listed = metadata.list_runs("team", "proj", filters=[RunFilter("sweep", "=",
                                                                   sweep.sweep_id)])
    assert [r.run_id for r in listed.items] == [first.run_id]
    assert metadata.list_runs("team", "elsewhere", filters=[
        RunFilter("sweep", "in", [sweep.sweep_id])]).items == []
    with pytest.raises(ValidationError, match="sweep can only be filtered"):
        metadata.list_runs("team", "proj", filters=[RunFilter("sweep", "<", "x")])
    metadata.close()
    sweeps.finish_run(sweep.sweep_id, first.run_id, "finished")
    handed = {h.run_id: h for h in sweeps.list_sweep_runs(sweep.sweep_id)}
    done, waiting = handed[first.run_id], handed[second.run_id]
    assert (done.state, done.run_state, done.summary["loss"], done.agent) == (
        "finished", "finished", 0.25, "host-1")
    assert (waiting.state, waiting.run_state, waiting.summary) == ("claimed", None, {})
    assert done.params == {"a": 1, "b": "x"}
    assert sweeps.sweep_of_run("team", "proj", first.run_id) == sweep.sweep_id
    assert sweeps.sweep_of_run("team", "other", first.run_id) is None
    with pytest.raises(NotFoundError, match="handed out no run"):
        sweeps.finish_run(sweep.sweep_id, "someother", "finished")
    with pytest.raises(ValidationError):
        sweeps.finish_run(sweep.sweep_id, first.run_id, "claimed")
