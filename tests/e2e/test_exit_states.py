"""How a run ends when the script does not call finish(): exit hooks set its state."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from e2e_support import KEYS, child_env, metric_value, run_is_stored, wait_until

import tracklet
from tracklet.store.base import RunRef


def _history_steps(api: tracklet.Api, path: str) -> list[int]:
    ref = RunRef(*path.split("/"))
    (series,) = api.store.read_series(ref, [KEYS[0]])
    assert series.values == [metric_value(s, 0) for s in series.steps]
    return series.steps


def test_uncaught_exception_marks_the_run_failed_with_its_traceback(
        spawn, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # console capture stays on here: the traceback printed on stderr is a console line too
    env = child_env(data, TRACKLET_CONSOLE_CAPTURE="true")
    child = spawn("--steps", "50", "--end", "raise", "--print", "hello from the child",
                  env=env)
    path = child.run_path()
    assert child.wait() == 1, child.describe()
    assert any("ValueError: boom after 50 steps" in line for line in child.stderr)

    with tracklet.Api(data) as api:
        run = api.run(path)
        assert run.state == "failed"
        assert run.exit_code == 1
        assert run.traceback is not None
        assert "ValueError: boom after 50 steps" in run.traceback
        assert "train.py" in run.traceback  # the frames, not just the message
        assert _history_steps(api, path) == list(range(50))
        console = [line.text for line in api.store.read_console(RunRef(*path.split("/")))]
        assert "hello from the child" in console
        assert any("ValueError: boom after 50 steps" in text for text in console), console


@pytest.mark.parametrize("when", ["settled", "early"])
def test_ctrl_c_marks_the_run_killed_and_the_process_dies_of_sigint(
        spawn, tmp_path: Path, when: str) -> None:
    """Ctrl-C: the run is ``killed``, and the process still ends by SIGINT (status 130 in
    a shell), as Python makes it without Tracklet, so a shell loop over runs stops.
    ``settled``: the run already reached the store; ``early``: within its first steps."""
    data = tmp_path / "data"
    child = spawn("--steps", "0", "--report", "--pace", "0.001", env=child_env(data))
    path = child.run_path()
    if when == "settled":
        wait_until(lambda: run_is_stored(data, path), 20, "the run in the store")
    child.expect(lambda line: line.startswith("logged ") and int(line.split()[1]) >= 20,
                 timeout=20, what="step 20")
    os.kill(child.pid, signal.SIGINT)
    code = child.wait()
    assert not any("gave up" in line for line in child.stderr)
    assert any(line == "KeyboardInterrupt" for line in child.stderr), child.describe()

    with tracklet.Api(data) as api:
        run = api.run(path)
        assert run.state == "killed"
        steps = _history_steps(api, path)
        assert steps == list(range(len(steps)))
        assert len(steps) >= 21
    # an uncaught KeyboardInterrupt ends Python by SIGINT, after the exit hooks ran
    assert code == -signal.SIGINT, child.describe()


def test_exit_without_finish_marks_the_run_finished(spawn, tmp_path: Path) -> None:
    data = tmp_path / "data"
    child = spawn("--steps", "30", "--end", "exit", env=child_env(data))
    path = child.run_path()
    assert child.wait() == 0, child.describe()
    assert "finished" not in child.stdout  # finish() was never called by the script
    assert not [line for line in child.stderr if "tracklet:" in line], child.describe()

    with tracklet.Api(data) as api:
        run = api.run(path)
        assert run.state == "finished"
        assert run.exit_code == 0
        assert _history_steps(api, path) == list(range(30))


def test_sys_exit_with_a_failure_status_marks_the_run_failed(spawn, tmp_path: Path) -> None:
    """``sys.exit(3)`` without finish(): the run is failed with exit code 3, as W&B's
    exit hooks record it, and the process still exits with 3."""
    data = tmp_path / "data"
    child = spawn("--steps", "10", "--end", "exit3", env=child_env(data))
    path = child.run_path()
    assert child.wait() == 3, child.describe()

    with tracklet.Api(data) as api:
        run = api.run(path)
        assert (run.state, run.exit_code) == ("failed", 3)
        assert _history_steps(api, path) == list(range(10))
