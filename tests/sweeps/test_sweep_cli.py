"""`tracklet sweep` / `tracklet agent`: create from YAML, list, show, pause, resume, run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracklet.cli.main import main


def test_sweep_cli_from_yaml_to_finished_runs(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TRACKLET_BASE_URL", "TRACKLET_API_KEY", "TRACKLET_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKLET_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKLET_ENTITY", "team")
    monkeypatch.setenv("TRACKLET_SYSTEM_METRICS", "false")
    (tmp_path / "sweep.yaml").write_text(textwrap.dedent("""
        method: grid
        program: train.py
        metric: {name: loss, goal: minimize}
        parameters:
          lr: {values: [0.1, 0.2]}
    """))
    (tmp_path / "train.py").write_text(textwrap.dedent("""
        import argparse, tracklet
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float)
        tracklet.init()
        tracklet.log({"loss": parser.parse_args().lr * 10})
    """))
    runner = CliRunner()
    made = runner.invoke(main, ["--dir", "data", "sweep", "--project", "cli", "sweep.yaml"])
    assert made.exit_code == 0, made.output
    sweep_id = made.stdout.strip()
    assert f"tracklet --dir data agent team/cli/{sweep_id}" in made.stderr
    listed = runner.invoke(main, ["--dir", "data", "sweep", "ls", "--project", "cli"])
    assert listed.stdout.split()[:4] == [sweep_id, "running", "grid", "0"]
    paused = runner.invoke(main, ["--dir", "data", "sweep", "pause", f"team/cli/{sweep_id}"])
    assert paused.stdout.strip() == f"sweep team/cli/{sweep_id} is paused"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_API")}
    waiting = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "--dir", "data", "agent", sweep_id,
         "--project", "cli", "--poll-interval", "0.1"], env=env, cwd=tmp_path,
        stderr=subprocess.PIPE, text=True)
    assert waiting.stderr is not None
    first = waiting.stderr.readline()  # the agent says it waits before we resume
    assert f"sweep {sweep_id} is paused: waiting for it to be resumed" in first
    runner.invoke(main, ["--dir", "data", "sweep", "resume", f"team/cli/{sweep_id}"])
    rest = first + waiting.communicate(timeout=120)[1]
    assert waiting.returncode == 0, rest
    assert "agent ran 2 run(s)" in rest
    shown = runner.invoke(main, ["--dir", "data", "sweep", "show", sweep_id])
    lines = shown.stdout.splitlines()
    assert lines[0] == f"sweep team/cli/{sweep_id}: finished, grid, 2 runs"
    assert lines[-2].endswith('finished {"lr": 0.1}  loss=1.0')
    assert lines[-1].endswith('finished {"lr": 0.2}  loss=2.0')
    again = runner.invoke(main, ["--dir", "data", "sweep", "cancel", sweep_id])
    assert again.exit_code == 1
    assert "is finished; it cannot become cancelled" in again.output


def test_a_bad_yaml_config_names_the_field(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("method: grid\nparameters:\n  lr: {min: 0.0, max: 1.0}\n")
    done = CliRunner().invoke(main, ["--dir", "data", "sweep", "bad.yaml"])
    assert done.exit_code == 1
    assert "parameters.lr: grid search cannot walk" in done.output
