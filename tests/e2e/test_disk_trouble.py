"""Disk trouble never breaks the training loop: it warns once, counts, and reports at finish.

DESIGN promise 1 (a full disk never raises inside the training loop: it degrades, warns
once, and counts) and promise 2 (anything dropped is counted and reported). Faults are
real: a data directory below a regular file (mkdir fails with ENOTDIR), and a process
file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes past it fail with EFBIG, the way
they fail with ENOSPC on a full disk).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_support import KEYS, child_env, metric_value, warning_lines

import tracklet
from tracklet.shipping.local import LocalShipper
from tracklet.shipping.sync import SyncReport, sync_paths
from tracklet.store.base import RunRef
from tracklet.store.sql.store import SqlMetadataStore

FLUSH = "0.1"  # seconds between run-log writes in these tests
# How a training loop's pace shapes the writes that hit the limit: a fast loop makes each
# flush one large write (~60 KB) that the OS cuts short at the limit; a slow loop makes
# small writes (~6 KB) that sit in the file object's buffer when the flush fails.
WRITES = {  # name: (steps, seconds per step, RLIMIT_FSIZE in bytes)
    "large": (2000, 0.0002, 160 * 1024),
    "small": (1000, 0.003, 32 * 1024),
}
# records a run makes besides one per history step: start, metadata and finish
OTHER_RECORDS = 3


def unsaved_count(report_line: str) -> int:
    found = re.search(r"(\d+) records could not be saved", report_line)
    assert found, f"the finish report does not count the unsaved records: {report_line!r}"
    return int(found.group(1))


def sync_into_fresh_store(data: Path, store: Path) -> SyncReport:
    store.mkdir()
    shipper = LocalShipper(SqlMetadataStore(f"sqlite:///{store / 'tracklet.db'}"))
    try:
        return sync_paths([data], shipper)
    finally:
        shipper.close()


def stored_steps(store: Path, path: str) -> list[int]:
    """The steps stored for the run, after checking every key holds them, exactly."""
    with tracklet.Api(store) as api:
        series = {s.key: s for s in api.store.read_series(RunRef(*path.split("/")), KEYS)}
    assert sorted(series) == sorted(KEYS)
    steps = series[KEYS[0]].steps
    for k, key in enumerate(KEYS):
        assert series[key].steps == steps, key
        assert series[key].values == [metric_value(s, k) for s in steps], key
    return steps


def test_data_dir_below_a_file_warns_once_and_training_goes_on(spawn, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a regular file where the data directory should be\n")
    data = blocker / "sub"
    child = spawn("--steps", "200", env=child_env(data))
    path = child.run_path()
    assert child.wait() == 0, child.describe()
    assert "loop done 200" in child.stdout
    assert "finished" in child.stdout  # finish() returned

    run_id = path.split("/")[-1]
    warnings = warning_lines(child.stderr)
    assert len(warnings) == 2, child.describe()
    # one warning when it happened, naming the place and saying training goes on ...
    assert "cannot create the run directory" in warnings[0]
    assert str(data) in warnings[0]
    assert "training goes on" in warnings[0]
    # ... and the finish report saying what was not saved
    assert warnings[1].startswith(f"tracklet: WARNING run {run_id}: ")
    assert 200 <= unsaved_count(warnings[1]) <= 200 + OTHER_RECORDS
    assert not [line for line in child.stderr if line not in warnings], child.describe()
    assert blocker.read_text().startswith("a regular file")


@pytest.mark.parametrize("writes", sorted(WRITES))
def test_run_log_hitting_a_size_limit_keeps_what_was_written(
        spawn, tmp_path: Path, writes: str) -> None:
    steps_logged, pace, limit = WRITES[writes]
    data = tmp_path / "data"
    env = child_env(data, TRACKLET_FLUSH_INTERVAL=FLUSH)
    child = spawn("--mode", "offline", "--steps", str(steps_logged), "--pace", str(pace),
                  "--fsize-limit", str(limit), env=env)
    path = child.run_path()
    assert child.wait() == 0, child.describe()
    assert f"loop done {steps_logged}" in child.stdout  # the loop never saw an exception
    assert "finished" in child.stdout

    run_id = path.split("/")[-1]
    warnings = warning_lines(child.stderr)
    assert len(warnings) == 2, child.describe()
    assert "cannot write the run log" in warnings[0]
    assert "File too large" in warnings[0]
    assert warnings[1].startswith(f"tracklet: WARNING run {run_id}: ")
    unsaved = unsaved_count(warnings[1])
    assert not [line for line in child.stderr if line not in warnings], child.describe()

    (segment,) = (data / "runs" / run_id).glob("*.tlog")
    assert segment.stat().st_size <= limit

    report = sync_into_fresh_store(data, tmp_path / "store")
    (result,) = report.segments
    steps = stored_steps(tmp_path / "store", path)
    # what was written is readable, each step once: everything before the limit, and any
    # later frame small enough to fit (a frame that did not fit was cut off whole)
    first_gap = next((i for i, s in enumerate(steps) if s != i), len(steps))
    assert first_gap > 0
    assert steps == sorted(set(steps)) and set(steps) <= set(range(steps_logged))
    assert 0 < len(steps) < steps_logged
    # and the finish report counted every step that is not there (plus at most the
    # start, metadata and finish records), no fewer, no more
    lost_steps = steps_logged - len(steps)
    assert lost_steps <= unsaved <= lost_steps + OTHER_RECORDS, (unsaved, lost_steps)
    assert result.acked + unsaved == steps_logged + OTHER_RECORDS


def test_run_log_after_the_disk_has_room_again_loses_nothing_silently(
        spawn, tmp_path: Path) -> None:
    """Space comes back mid-run (a checkpoint was deleted): what is logged afterwards is
    either readable from the run log or counted as not saved."""
    data = tmp_path / "data"
    steps_logged, pace, _ = WRITES["large"]
    limit = 48 * 1024  # reached by the first flushes, well before the limit is lifted
    env = child_env(data, TRACKLET_FLUSH_INTERVAL=FLUSH)
    child = spawn("--mode", "offline", "--steps", str(steps_logged), "--pace", str(pace),
                  "--fsize-limit", str(limit), "--fsize-lift-at", str(steps_logged // 2),
                  env=env)
    path = child.run_path()
    assert child.wait() == 0, child.describe()
    assert f"loop done {steps_logged}" in child.stdout
    assert f"lifted {steps_logged // 2}" in child.stdout

    run_id = path.split("/")[-1]
    warnings = warning_lines(child.stderr)
    assert "cannot write the run log" in warnings[0]
    reports = [w for w in warnings if w.startswith(f"tracklet: WARNING run {run_id}: ")]
    unsaved = unsaved_count(reports[0]) if reports else 0

    report = sync_into_fresh_store(data, tmp_path / "store")
    (result,) = report.segments
    steps = stored_steps(tmp_path / "store", path)
    assert len(set(steps)) == len(steps)
    lost_steps = steps_logged - len(steps)
    assert lost_steps <= unsaved, (
        f"{lost_steps} steps are neither readable from the run log nor counted: finish "
        f"reported {unsaved} records unsaved; sync: {result.problem}")
    assert result.acked + unsaved == steps_logged + OTHER_RECORDS
