"""A training process killed with SIGKILL keeps everything logged a flush interval earlier.

DESIGN promise 2: the run log is written every ``flush_interval``; the next reader of the
store notices the dead process, ships the leftover run log and marks the run crashed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

from e2e_support import KEYS, Child, child_env, metric_value, run_is_stored, wait_until

import tracklet
from tracklet.shipping.local import LocalShipper
from tracklet.shipping.sync import sync_paths
from tracklet.store.base import RunRef
from tracklet.store.sql.store import SqlMetadataStore

FLUSH_INTERVAL = 0.5
N_SEEN = 3000


class Progress:
    """What the child reported: ``logged <step> <monotonic time>`` lines, by step."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.logged: dict[int, float] = {}  # step -> the child's clock after logging it

    def _take(self, line: str) -> tuple[int, float] | None:
        if not line.startswith("logged "):
            return None
        _, step, when = line.split()
        self.logged[int(step)] = float(when)
        return int(step), float(when)

    def until(self, min_step: int = -1, min_time: float = -1.0) -> tuple[int, float]:
        """Read the child's progress until it logged ``min_step`` at or after ``min_time``
        (CLOCK_MONOTONIC: the child's clock is this process's)."""
        def done(line: str) -> bool:
            got = self._take(line)
            return got is not None and got[0] >= min_step and got[1] >= min_time
        got = self._take(self.child.expect(done, timeout=25, what="progress"))
        assert got is not None
        return got

    def drain(self) -> None:
        """Take the lines the child printed before it died (call after ``wait``)."""
        for line in self.child.rest_of_stdout():
            self._take(line)

    def lost(self, steps: list[int], t_kill: float) -> list[int]:
        """Steps logged a flush interval or more before ``t_kill`` that are not in ``steps``."""
        must_have = {s for s, when in self.logged.items() if when <= t_kill - FLUSH_INTERVAL}
        return sorted(must_have - set(steps))

    def describe_lost(self, lost: list[int], t_kill: float) -> str:
        first = lost[0]
        return (f"{len(lost)} steps logged >= {FLUSH_INTERVAL} s before the kill are lost "
                f"(the first, step {first}, was logged {t_kill - self.logged[first]:.3f} s "
                "before it)")


def _counts(api: tracklet.Api, ref: RunRef) -> dict[str, list[int]]:
    return {s.key: s.steps for s in api.store.read_series(ref, KEYS)}


def test_sigkill_mid_run_keeps_every_step_logged_before_the_last_flush(
        spawn, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = child_env(data, TRACKLET_FLUSH_INTERVAL=str(FLUSH_INTERVAL))
    child = spawn("--steps", "0", "--report", "--pace", "0.001", env=env)
    path = child.run_path()

    progress = Progress(child)
    n_seen, t_seen = progress.until(min_step=N_SEEN)
    # Kill 1.5 flush intervals after a flush of the run log was seen (by the child's own
    # clock): the writer should have flushed once more since, so whatever was logged a
    # flush interval before the kill must be on disk. (Killing right after a child line
    # instead tends to land just after a flush: a flush pauses the training thread.)
    run_dir = data / "runs" / path.split("/")[-1]
    segment = wait_until(lambda: next(run_dir.glob("*.tlog"), None), 10, "the run log")
    size = segment.stat().st_size
    wait_until(lambda: segment.stat().st_size > size, 10, "a flush of the run log")
    t_flush = time.monotonic()
    progress.until(min_time=max(t_flush + 1.5 * FLUSH_INTERVAL, t_seen + 2 * FLUSH_INTERVAL))
    t_kill = time.monotonic()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    progress.drain()
    last_logged = max(progress.logged)
    assert sorted(progress.logged) == list(range(last_logged + 1))

    ref = RunRef(*path.split("/"))
    with tracklet.Api(data) as api:
        run = api.run(path)  # notices the dead pid, ships the leftover run log
        assert run.state == "crashed"

        rows = list(run.scan_history(keys=KEYS))
        steps = [row["_step"] for row in rows]
        assert len(steps) == len(set(steps)), "a step appears twice"
        # a prefix of what was logged: nothing lost in the middle, nothing invented
        assert steps == list(range(len(steps)))
        assert n_seen in steps
        assert steps[-1] <= last_logged + 1  # the step being logged when killed, at most
        for row in rows:
            step = row["_step"]
            assert {k: row[k] for k in KEYS} == {
                key: metric_value(step, k) for k, key in enumerate(KEYS)}, step

        # the promise itself: every step logged a flush interval before the kill is kept
        lost = progress.lost(steps, t_kill)
        assert not lost, progress.describe_lost(lost, t_kill)

        counts = _counts(api, ref)
        assert set(counts) == set(KEYS)
        for key, key_steps in counts.items():
            assert key_steps == steps, key

    # replaying the run log changes nothing
    with tracklet.Api(data) as api:
        url = api.settings.store_url
    shipper = LocalShipper(SqlMetadataStore(url))
    try:
        report = sync_paths([data], shipper)
    finally:
        shipper.close()
    assert report.shipped == 0
    assert len(report.segments) == 1
    with tracklet.Api(data) as api:
        assert api.run(path).state == "crashed"
        assert _counts(api, ref) == counts


def test_sigkill_while_the_store_is_busy_keeps_every_step_logged_before_the_last_flush(
        spawn, tmp_path: Path) -> None:
    """Another process holds the store's write lock (a big `tracklet sync`, a slow disk):
    the run log must still be written every flush interval, so a kill loses no more."""
    data = tmp_path / "data"
    env = child_env(data, TRACKLET_FLUSH_INTERVAL=str(FLUSH_INTERVAL))
    child = spawn("--steps", "0", "--report", "--pace", "0.001", env=env)
    path = child.run_path()
    ref = RunRef(*path.split("/"))
    progress = Progress(child)

    wait_until(lambda: run_is_stored(data, path), 20, "the run in the store")
    run_dir = data / "runs" / ref.run_id
    (segment,) = run_dir.glob("*.tlog")

    lock = sqlite3.connect(data / "tracklet.db", isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # hold the write lock, as a long transaction does
        t_lock = time.monotonic()
        progress.until(min_time=t_lock + FLUSH_INTERVAL)
        size = segment.stat().st_size
        progress.until(min_time=t_lock + 4 * FLUSH_INTERVAL)
        grew = segment.stat().st_size - size
        t_kill = time.monotonic()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    progress.drain()

    with tracklet.Api(data) as api:
        run = api.run(path)
        assert run.state == "crashed"
        steps = [row["_step"] for row in run.scan_history(keys=KEYS)]
        assert steps == list(range(len(steps)))
        lost = progress.lost(steps, t_kill)
        assert not lost, (progress.describe_lost(lost, t_kill)
                          + f"; the run log grew {grew} bytes while the store was locked")
    assert grew > 0, "the run log was not written while the store was busy"
