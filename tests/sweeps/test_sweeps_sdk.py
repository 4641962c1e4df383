"""Sweeps end to end: real agent processes, the W&B docs script unchanged, programs run
as subprocesses, failures, and online mode against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from servers import KEY, ThreadServer
from tracklet.errors import ValidationError
from tracklet.sdk.api import Api


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRACKLET_", "WANDB_"))}
    env.update(TRACKLET_DIR=str(root), TRACKLET_SYSTEM_METRICS="false",
               TRACKLET_ENTITY="team", TRACKLET_CONFIG_DIR=str(root / "config"), **extra)
    return env


def python(root: Path, code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = root.parent / f"script-{abs(hash(code))}.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script), *args], env=clean_env(root, **env),
                          cwd=root.parent, capture_output=True, text=True, timeout=240)


WANDB_DOCS = """
import tracklet as wandb

sweep_configuration = {
    "method": "random",
    "name": "sweep",
    "metric": {"goal": "maximize", "name": "val_acc"},
    "parameters": {
        "batch_size": {"values": [16, 32, 64]},
        "epochs": {"values": [5, 10, 15]},
        "lr": {"max": 0.1, "min": 0.0001},
    },
}


def main():
    wandb.init(project="my-first-sweep")
    lr = wandb.config.lr
    bs = wandb.config.batch_size
    epochs = wandb.config.epochs
    for epoch in range(3):
        wandb.log({"train_acc": 1 - lr, "val_acc": 1 - 2 * lr, "epoch": epoch,
                   "bs": bs, "epochs": epochs})


sweep_id = wandb.sweep(sweep=sweep_configuration, project="my-first-sweep")
wandb.agent(sweep_id, function=main, count=3)
print("SWEEP", sweep_id)
"""


def test_the_wandb_docs_sweep_script_runs_unchanged(tmp_path: Path) -> None:
    root = tmp_path / "data"
    done = python(root, WANDB_DOCS)
    assert done.returncode == 0, done.stderr
    sweep_id = done.stdout.split("SWEEP ")[1].strip()
    with Api(root) as api:
        sweep = api.sweep(f"team/my-first-sweep/{sweep_id}")
        assert (sweep.id, sweep.state, sweep.method) == (sweep_id, "running", "random")
        runs = sweep.runs
        assert len(runs) == 3
        for run in runs:
            assert run.state == "finished"
            assert run.project == "my-first-sweep" and run.sweep_id == sweep_id
            assert set(run.config_locked) == {"batch_size", "epochs", "lr"}
            assert run.config["batch_size"] in (16, 32, 64)
            assert 0.0001 <= run.config["lr"] <= 0.1
            assert run.summary["val_acc"] == pytest.approx(1 - 2 * run.config["lr"])
            assert run.summary["bs"] == run.config["batch_size"]
        best = sweep.best_run()
        assert best is not None
        assert best.summary["val_acc"] == max(r.summary["val_acc"] for r in runs)


AGENT = """
import sys
import tracklet

def train():
    run = tracklet.init(project="ignored-by-the-sweep", config={"a": -1, "extra": 1})
    tracklet.log({"loss": run.config.a * 10 + len(run.config.b)})
    tracklet.finish()

tracklet.agent(sys.argv[1], function=train)
"""


def test_a_grid_run_by_two_agent_processes_yields_each_combination_once(
        tmp_path: Path) -> None:
    root = tmp_path / "data"
    made = python(root, """
        import tracklet
        print(tracklet.sweep({"method": "grid", "metric": {"name": "loss"},
                              "parameters": {"a": {"values": [1, 2]},
                                             "b": {"values": ["x", "yy", "zzz"]}}},
                             project="grid"))
    """)
    assert made.returncode == 0, made.stderr
    sweep_id = made.stdout.strip().splitlines()[-1]
    script = tmp_path / "agent.py"
    script.write_text(textwrap.dedent(AGENT))
    agents = [subprocess.Popen([sys.executable, str(script), f"team/grid/{sweep_id}"],
                               env=clean_env(root), cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [a.communicate(timeout=240) for a in agents]
    assert [a.returncode for a in agents] == [0, 0], outputs
    with Api(root) as api:
        sweep = api.sweep(f"team/grid/{sweep_id}")
        assert sweep.state == "finished"
        runs = sweep.runs
        combos = sorted((r.config["a"], r.config["b"]) for r in runs)
        assert combos == [(a, b) for a in (1, 2) for b in ("x", "yy", "zzz")]
        for r in runs:
            assert r.state == "finished" and r.project == "grid"
            assert r.config["extra"] == 1
            assert r.summary["loss"] == r.config["a"] * 10 + len(r.config["b"])
        assert {h.agent for h in sweep.sweep_runs()} .__len__() >= 1
        assert sweep.best_run().config == {"a": 1, "b": "x", "extra": 1}


def test_a_failing_function_marks_its_run_failed_and_the_agent_goes_on(
        tmp_path: Path) -> None:
    root = tmp_path / "data"
    done = python(root, """
        import tracklet
        calls = []

        def train():
            tracklet.init()
            calls.append(tracklet.config.x)
            if len(calls) == 1:
                raise RuntimeError("diverged")
            tracklet.log({"loss": 1.0})

        sweep_id = tracklet.sweep({"method": "random", "run_cap": 3,
                                   "parameters": {"x": {"min": 0, "max": 9}}}, project="f")
        ran = tracklet.agent(sweep_id, function=train)
        print("RAN", ran, sweep_id)
    """)
    assert done.returncode == 0, done.stderr
    assert "run" in done.stderr and "RuntimeError: diverged" in done.stderr
    ran, sweep_id = done.stdout.split("RAN ")[1].split()
    assert ran == "3"  # run_cap: then the sweep is finished and the agent stops
    with Api(root) as api:
        sweep = api.sweep(f"team/f/{sweep_id}")
        assert sweep.state == "finished"
        assert [r.state for r in sweep.runs] == ["failed", "finished", "finished"]
        assert "RuntimeError: diverged" in sweep.runs[0].traceback
        assert [h.state for h in sweep.sweep_runs()] == ["failed", "finished", "finished"]


TRAIN_PROGRAM = """
import argparse
import tracklet

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--optimizer.momentum", dest="momentum", type=float)
args = parser.parse_args()
run = tracklet.init(config={"lr": args.lr})
tracklet.log({"loss": args.lr * 100 + args.momentum})
if args.lr > 0.5:
    raise RuntimeError("lr too high")
"""


def test_the_agent_runs_the_sweep_program_with_the_params_as_arguments(
        tmp_path: Path) -> None:
    root = tmp_path / "data"
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN_PROGRAM))
    done = python(root, """
        import tracklet
        sweep_id = tracklet.sweep({"method": "grid", "program": "train.py",
                                   "metric": {"name": "loss"},
                                   "parameters": {"lr": {"values": [0.1, 0.9]},
                                                  "optimizer": {"parameters": {
                                                      "momentum": {"value": 0.5}}}}},
                                  project="prog")
        print("RAN", tracklet.agent(sweep_id), sweep_id)
    """)
    assert done.returncode == 0, done.stderr
    ran, sweep_id = done.stdout.split("RAN ")[1].split()
    assert ran == "2"
    with Api(root) as api:
        runs = {r.config["lr"]: r for r in api.sweep(f"team/prog/{sweep_id}").runs}
        assert runs[0.1].config["optimizer"] == {"momentum": 0.5}
        assert runs[0.1].summary["loss"] == pytest.approx(10.5)
        assert (runs[0.1].state, runs[0.9].state) == ("finished", "failed")
        assert "RuntimeError: lr too high" in runs[0.9].traceback
        handed = {h.params["lr"]: h.state for h in api.sweep(sweep_id).sweep_runs()}
        assert handed == {0.1: "finished", 0.9: "failed"}  # from the exit status


def test_bad_configs_are_refused_with_the_field_path(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import tracklet

    monkeypatch.setenv("TRACKLET_DIR", str(tmp_path / "data"))
    with pytest.raises(ValidationError, match=r"parameters\.opt\.lr: grid search cannot"):
        tracklet.sweep({"method": "grid", "parameters": {"opt": {"parameters": {
            "lr": {"min": 0.0, "max": 1.0}}}}}, project="bad")
    with pytest.raises(ValidationError, match="unknown distribution 'gaussian'"):
        tracklet.sweep({"method": "random", "parameters": {"x": {
            "distribution": "gaussian", "mu": 0, "sigma": 1}}}, project="bad")


def test_online_sweeps_live_on_the_server(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with ThreadServer(tmp_path / "server.db") as server:
        done = python(root, """
            import tracklet

            def train():
                tracklet.init(project="elsewhere")
                tracklet.log({"loss": (tracklet.config.x - 3) ** 2})

            sweep_id = tracklet.sweep({"method": "grid", "metric": {"name": "loss"},
                                       "parameters": {"x": {"values": [1, 3, 4]}}},
                                      project="online")
            tracklet.agent(sweep_id, function=train, count=2)
            tracklet.agent(sweep_id, function=train)
            print("SWEEP", sweep_id)
        """, TRACKLET_BASE_URL=server.base_url, TRACKLET_API_KEY=KEY)
        assert done.returncode == 0, done.stderr
        sweep_id = done.stdout.split("SWEEP ")[1].strip()
        assert not (root / "tracklet.db").exists()  # nothing in a local store
        with Api(server.base_url, api_key=KEY) as api:
            sweep = api.sweep(f"team/online/{sweep_id}")
            assert sweep.state == "finished"
            assert sorted(r.config["x"] for r in sweep.runs) == [1, 3, 4]
            assert all(r.project == "online" and r.state == "finished" for r in sweep.runs)
            best = sweep.best_run()
            assert best is not None and best.config["x"] == 3 and best.sweep_id == sweep_id
            listed = [json.loads(json.dumps(h.params)) for h in sweep.sweep_runs()]
            assert listed == [{"x": 1}, {"x": 3}, {"x": 4}]
            filtered = api.runs("team/online", filters={"sweep": sweep_id})
            assert sorted(r.config["x"] for r in filtered) == [1, 3, 4]


HYPERBAND = """
import time
import tracklet

def train():
    run = tracklet.init()
    quality = run.config.quality
    # the best run ends by itself; a worse one would go on for a minute unless stopped
    steps = 40 if quality == 1 else 1200
    for i in range(steps):
        tracklet.log({"loss": quality * 10.0 / (i + 1)})
        time.sleep(0.05)

sweep_id = tracklet.sweep({
    "method": "grid", "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {"quality": {"values": [1, 3, 2]}},
    "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3}}, project="hb")
print("RAN", tracklet.agent(sweep_id, function=train, poll_interval=0.2), sweep_id)
"""


def test_hyperband_stops_the_runs_worse_than_the_best(tmp_path: Path) -> None:
    root = tmp_path / "data"
    done = python(root, HYPERBAND)
    assert done.returncode == 0, done.stderr
    ran, sweep_id = done.stdout.split("RAN ")[1].split()
    assert ran == "3"
    with Api(root) as api:
        sweep = api.sweep(f"team/hb/{sweep_id}")
        runs = {r.config["quality"]: r for r in sweep.runs}
        assert runs[1].state == "finished" and runs[1].last_step == 39
        for worse in (3, 2):
            assert runs[worse].state == "killed"
            assert 3 <= runs[worse].last_step + 1 < 1200  # stopped after the first band
        assert {h.params["quality"]: h.state for h in sweep.sweep_runs()} == {
            1: "finished", 3: "stopped", 2: "stopped"}
        assert sweep.state == "finished"


HYPERBAND_PROGRAM = """
import argparse
import time
import tracklet

parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=int)
quality = parser.parse_args().quality
tracklet.init()
for i in range(40 if quality == 1 else 1200):
    tracklet.log({"loss": quality * 10.0 / (i + 1)})
    time.sleep(0.05)
"""


def test_hyperband_interrupts_a_program_run(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (tmp_path / "train.py").write_text(textwrap.dedent(HYPERBAND_PROGRAM))
    done = python(root, """
        import tracklet
        sweep_id = tracklet.sweep({
            "method": "grid", "program": "train.py", "metric": {"name": "loss"},
            "parameters": {"quality": {"values": [1, 4]}},
            "early_terminate": {"type": "hyperband", "min_iter": 3}}, project="hbp")
        print("RAN", tracklet.agent(sweep_id, poll_interval=0.2), sweep_id)
    """)
    assert done.returncode == 0, done.stderr
    ran, sweep_id = done.stdout.split("RAN ")[1].split()
    assert ran == "2"
    with Api(root) as api:
        sweep = api.sweep(f"team/hbp/{sweep_id}")
        runs = {r.config["quality"]: r for r in sweep.runs}
        assert (runs[1].state, runs[4].state) == ("finished", "killed")
        assert runs[4].last_step + 1 < 1200
        assert [h.state for h in sweep.sweep_runs()] == ["finished", "stopped"]
