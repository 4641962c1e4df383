"""Several training processes logging into one local store at once lose and repeat nothing.

4 processes x 10,000 steps x 10 metrics, released together, each its own run in ONE data
directory (one SQLite database): all 400,000 points present, exactly once.
"""

from __future__ import annotations

from pathlib import Path

from e2e_support import KEYS, child_env, metric_value, warning_lines

import tracklet
from tracklet.store.base import RunRef

PROCESSES = 4
STEPS = 10_000


def test_four_processes_log_into_one_store_concurrently(spawn, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # short flushes and a paced loop: many small write transactions from every process
    # overlap, instead of one big one each at finish
    env = child_env(data, TRACKLET_FLUSH_INTERVAL="0.05")
    children = [spawn("--steps", str(STEPS), "--pace", "0.0001", "--wait-go", env=env,
                      stdin=True)
                for _ in range(PROCESSES)]
    paths = [child.run_path() for child in children]
    for child in children:
        child.expect_prefix("ready")
    assert len(set(paths)) == PROCESSES
    for child in children:  # all blocked on stdin: release them together
        child.send("go\n")
    for child in children:
        assert child.wait(timeout=25) == 0, child.describe()
        assert "finished" in child.stdout
        stderr = "\n".join(child.stderr)
        assert "database is locked" not in stderr
        assert warning_lines(child.stderr) == [], child.describe()

    expected = {key: [metric_value(s, k) for s in range(STEPS)] for k, key in enumerate(KEYS)}
    with tracklet.Api(data) as api:
        runs = {"/".join(r.path): r for r in api.runs("e2e")}
        assert sorted(runs) == sorted(paths)
        for path in paths:
            assert runs[path].state == "finished"
            assert runs[path].dropped == 0
            series = api.store.read_series(RunRef(*path.split("/")), KEYS)
            assert sorted(s.key for s in series) == sorted(KEYS)
            assert sum(len(s.steps) for s in series) == STEPS * len(KEYS)
            for s in series:
                assert s.steps == list(range(STEPS)), (path, s.key)
                assert s.values == expected[s.key], (path, s.key)
