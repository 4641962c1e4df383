"""The `tracklet` command against real runs logged with the SDK into temporary folders.

In-process (click's CliRunner) for most checks; real subprocesses for what users run as
separate programs: an offline training script, `tracklet sync`, `tracklet demo`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tracklet
from tracklet.cli.main import main

FAST = {"mode": "local", "system_metrics": False, "console_capture": False}
Points = dict[int, dict[str, float]]  # step -> key -> value, as logged


def cli(data_dir: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def log_run(data_dir: Path, project: str, points: Points, *, name: str,
            config: Mapping[str, Any] | None = None, exit_code: int = 0,
            **init: Any) -> str:
    """Log ``points`` at their steps through the public SDK; returns the run id."""
    run = tracklet.init(project=project, name=name, config=dict(config or {}),
                        settings={**FAST, "dir": str(data_dir)}, reinit=True, **init)
    for step, values in sorted(points.items()):
        tracklet.log(values, step=step)
    tracklet.finish(exit_code=exit_code)
    assert run.finish_status is not None and run.finish_status.pending == 0
    return run.id


def subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
    env.update(TRACKLET_SYSTEM_METRICS="false", TRACKLET_CONSOLE_CAPTURE="false")
    return env


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real program, as a user starts it."""
    return subprocess.run([sys.executable, "-m", "tracklet.cli.main", "--dir", str(data_dir),
                           *args], capture_output=True, text=True, env=subprocess_env(),
                          timeout=120, check=False)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_points(rows: list[dict[str, Any]], expected: Points, keys: list[str]) -> None:
    """``rows`` hold exactly the logged points: same steps, same keys, same values."""
    assert [int(r["_step"]) for r in rows] == sorted(expected)
    for row in rows:
        step = int(row["_step"])
        got = {k: float(row[k]) for k in keys if row.get(k) is not None}
        want = {k: v for k, v in expected[step].items() if k in keys}
        assert got.keys() == want.keys(), (step, got, want)
        assert all(same(got[k], want[k]) for k in want), (step, got, want)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "tracklet"


@pytest.fixture
def project_runs(data_dir: Path) -> dict[str, str]:
    """Two runs in project `vision`: a finished one and a failed one."""
    ids = {}
    ids["resnet-a"] = log_run(data_dir, "vision", {0: {"loss": 2.0}, 1: {"loss": 1.5}},
                              name="resnet-a", config={"lr": 0.1, "optimizer": "sgd"},
                              tags=["baseline"], notes="first try")
    ids["resnet-b"] = log_run(data_dir, "vision", {0: {"loss": 2.5}, 1: {"loss": 3.5}},
                              name="resnet-b", config={"lr": 0.5, "optimizer": "adam"},
                              exit_code=1)
    return ids


# -- runs ls / runs show ---------------------------------------------------------------------

def test_runs_ls_shows_names_and_states(data_dir: Path, project_runs: dict[str, str]) -> None:
    out = cli(data_dir, "runs", "ls", "vision").output
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    a, b = project_runs["resnet-a"], project_runs["resnet-b"]
    assert "resnet-a" in lines[a] and "finished" in lines[a]
    assert "resnet-b" in lines[b] and "failed" in lines[b]
    # the only project: it may be left out; newest first by default
    assert cli(data_dir, "runs", "ls").output == out
    assert out.index(b) < out.index(a)


def test_runs_ls_filters_sorts_limits_and_json(data_dir: Path,
                                               project_runs: dict[str, str]) -> None:
    def names(*args: str) -> list[str]:
        return [r["name"] for r in json.loads(cli(data_dir, "runs", "ls", "vision", "--json",
                                                  *args).output)]

    assert names("--filter", "state=failed") == ["resnet-b"]
    assert names("--filter", "config.lr=0.1") == ["resnet-a"]
    assert names("--filter", "config.optimizer=adam") == ["resnet-b"]
    assert names("--filter", "config.lr>0.2", "--filter", "state=failed") == ["resnet-b"]
    assert names("--filter", "config.lr>0.2", "--filter", "state=finished") == []
    assert names("--filter", "tags=baseline") == ["resnet-a"]
    assert names("--filter", 'state=["failed", "finished"]', "--sort", "name") == [
        "resnet-a", "resnet-b"]
    assert names("--sort", "-summary.loss") == ["resnet-b", "resnet-a"]
    assert names("--sort", "summary.loss") == ["resnet-a", "resnet-b"]
    assert names("--sort", "name", "--limit", "1") == ["resnet-a"]
    runs = json.loads(cli(data_dir, "runs", "ls", "--json", "--sort", "name").output)
    assert [(r["state"], r["config"]["lr"], r["summary"]["loss"]) for r in runs] == [
        ("finished", 0.1, 1.5), ("failed", 0.5, 3.5)]
    assert runs[0]["tags"] == ["baseline"] and runs[0]["notes"] == "first try"
    assert "no runs in" in cli(data_dir, "runs", "ls", "vision", "--filter",
                               "config.lr=7").output


def test_runs_show_shows_config_summary_and_metadata(data_dir: Path,
                                                     project_runs: dict[str, str]) -> None:
    run_id = project_runs["resnet-a"]
    entity = tracklet.Api(data_dir).default_entity
    out = cli(data_dir, "runs", "show", f"vision/{run_id}").output
    assert f"{entity}/vision/{run_id}" in out and "resnet-a" in out
    for text in ("finished", "optimizer", "sgd", "lr", "0.1", "loss", "1.5", "baseline",
                 "first try", "python", "command"):
        assert text in out
    # every path form names the same run
    assert cli(data_dir, "runs", "show", run_id).output == out
    assert cli(data_dir, "runs", "show", f"{entity}/vision/{run_id}").output == out
    shown = json.loads(cli(data_dir, "runs", "show", run_id, "--json").output)
    assert shown["config"] == {"lr": 0.1, "optimizer": "sgd"}
    assert shown["summary"] == {"loss": 1.5}
    assert shown["history_keys"] == ["loss"]
    assert shown["metadata"]["pid"] == os.getpid()
    failed = json.loads(cli(data_dir, "runs", "show", project_runs["resnet-b"],
                            "--json").output)
    assert (failed["state"], failed["exit_code"]) == ("failed", 1)


@pytest.mark.parametrize(("args", "message"), [
    (["runs", "show", "nosuchrun"], "no run 'nosuchrun'"),
    (["runs", "show", "vision/nosuchrun"], "no run 'nosuchrun' in project vision"),
    (["runs", "show", "a/b/c/d"], "is not a run path"),
    (["runs", "ls", "nosuchproject"], "no project nosuchproject"),
    (["runs", "ls", "vision", "--sort", "bogus"], "cannot filter or sort on 'bogus'"),
    (["runs", "ls", "vision", "--filter", "config.lr"], "is not KEY=VALUE"),
    (["export", "nosuchrun"], "no run 'nosuchrun'"),
])
def test_bad_input_gives_one_line_error(data_dir: Path, project_runs: dict[str, str],
                                        args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["--dir", str(data_dir), *args])
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()[-1]) < 300


def test_missing_data_dir_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--dir", str(tmp_path / "empty"), "runs", "ls"])
    assert result.exit_code == 1
    assert "no Tracklet data in" in result.output and "tracklet demo" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_data_dir_comes_from_tracklet_dir(data_dir: Path,
                                          project_runs: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["runs", "ls", "--json"],
                                env={"TRACKLET_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    assert {r["name"] for r in json.loads(result.output)} == {"resnet-a", "resnet-b"}


# -- export ----------------------------------------------------------------------------------

@pytest.fixture
def logged(data_dir: Path) -> tuple[str, Points]:
    """A run with sparse keys, NaN and infinities, nested dicts and 2,500 steps (several
    read pages), plus a few steps logged out of order."""
    points: Points = {}
    for step in range(2500):
        row: dict[str, float] = {"train/loss": 1.0 / (step + 1)}
        if step % 7 == 0:
            row["eval/acc"] = step / 2500
        if step == 3:
            row["train/loss"] = math.nan
        if step == 4:
            row["weird"] = math.inf
        if step == 5:
            row["weird/neg"] = -math.inf
        points[step] = row
    points[10_000] = {"late": 42.0}
    run_id = log_run(data_dir, "exp", {}, name="export-me")
    run = tracklet.init(project="exp", id=run_id, resume="must",
                        settings={**FAST, "dir": str(data_dir)}, reinit=True)
    for step, values in sorted(points.items()):
        nested: dict[str, Any] = {}
        for key, value in values.items():
            head, _, tail = key.partition("/")
            if tail:
                nested.setdefault(head, {})[tail] = value
            else:
                nested[key] = value
        run.log(nested, step=step)
    run.finish()
    return run_id, points


KEYS = ["eval/acc", "late", "train/loss", "weird", "weird/neg"]


def test_export_csv_holds_exactly_the_logged_points(
        data_dir: Path, logged: tuple[str, Points], tmp_path: Path) -> None:
    run_id, points = logged
    target = tmp_path / "out.csv"
    result = cli(data_dir, "export", f"exp/{run_id}", "--format", "csv", "--output",
                 str(target))
    assert f"wrote {len(points)} rows" in result.output
    with open(target, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["_step", "_timestamp", "_runtime", *KEYS]
        rows = [{k: (v if v != "" else None) for k, v in r.items()} for r in reader]
    assert_points(rows, points, KEYS)
    assert rows[3]["train/loss"] == "NaN" and rows[3]["eval/acc"] is None
    assert (rows[4]["weird"], rows[5]["weird/neg"]) == ("Infinity", "-Infinity")
    assert all(float(r["_runtime"]) >= 0 for r in rows)
    # stdout is the default output, and pandas reads the same numbers
    import pandas as pd

    frame = pd.read_csv(io.StringIO(cli(data_dir, "export", run_id).stdout))
    assert frame["train/loss"].isna().sum() == 1 + 1  # NaN at step 3, absent at 10000
    assert (frame["weird"][4], frame["weird/neg"][5]) == (math.inf, -math.inf)


def test_export_jsonl_holds_exactly_the_logged_points(
        data_dir: Path, logged: tuple[str, Points]) -> None:
    run_id, points = logged
    out = cli(data_dir, "export", run_id, "--format", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert_points(rows, points, KEYS)
    assert rows[3]["train/loss"] == "NaN" and "eval/acc" not in rows[3]
    assert (rows[4]["weird"], rows[5]["weird/neg"]) == ("Infinity", "-Infinity")
    assert rows[-1] == {"_step": 10_000, "_timestamp": rows[-1]["_timestamp"],
                        "_runtime": rows[-1]["_runtime"], "late": 42.0}


def test_export_parquet_holds_exactly_the_logged_points(
        data_dir: Path, logged: tuple[str, Points], tmp_path: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    run_id, points = logged
    target = tmp_path / "out.parquet"
    cli(data_dir, "export", run_id, "-o", str(target))  # the format comes from the suffix
    table = pq.read_table(target)
    assert table.column_names == ["_step", "_timestamp", "_runtime", *KEYS]
    assert str(table.schema.field("_step").type) == "int64"
    rows = table.to_pylist()  # nulls stay None, NaN stays NaN
    assert_points(rows, points, KEYS)
    # a logged NaN is NaN, a missing point is null
    loss = table.column("train/loss").to_pylist()
    assert math.isnan(loss[3]) and loss[-1] is None
    frame = pd.read_parquet(target)
    assert frame.shape == (len(points), 3 + len(KEYS))
    assert frame["weird/neg"][5] == -math.inf


def test_export_of_a_key_holding_both_infinities(data_dir: Path) -> None:
    points: Points = {0: {"x": math.inf}, 1: {"x": -math.inf}, 2: {"x": 1.0}}
    run_id = log_run(data_dir, "inf", points, name="infinities")
    rows = [json.loads(line) for line in cli(data_dir, "export", run_id, "--format",
                                             "jsonl").stdout.splitlines()]
    assert [r["x"] for r in rows] == ["Infinity", "-Infinity", 1.0]


def test_export_keys_and_system(data_dir: Path, logged: tuple[str, Points]) -> None:
    run_id, points = logged
    rows = [json.loads(line) for line in cli(data_dir, "export", run_id, "--format", "jsonl",
                                             "--keys", "eval/acc").stdout.splitlines()]
    expected = {s: v for s, v in points.items() if "eval/acc" in v}
    assert_points(rows, expected, ["eval/acc"])
    assert all(set(r) == {"_step", "_timestamp", "_runtime", "eval/acc"} for r in rows)
    result = CliRunner().invoke(main, ["--dir", str(data_dir), "export", run_id, "--keys",
                                       "nope"])
    assert result.exit_code == 1 and "has no metric nope" in result.output
    # no system metrics were recorded (system_metrics=False): a header and a warning
    result = cli(data_dir, "export", run_id, "--system")
    assert result.stdout == "_timestamp,_runtime\n"
    assert "has no system metrics" in result.stderr


def test_export_parquet_without_pyarrow_names_the_extra(
        data_dir: Path, logged: tuple[str, Points], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = CliRunner().invoke(main, ["--dir", str(data_dir), "export", logged[0],
                                       "--format", "parquet", "-o",
                                       str(tmp_path / "x.parquet")])
    assert result.exit_code == 1
    assert "pip install 'tracklet[parquet]'" in result.output


# -- sync ------------------------------------------------------------------------------------

OFFLINE_SCRIPT = """
import math, os, sys, time
import tracklet
run = tracklet.init(project="air-gapped", name="offline-run", mode="offline",
                    config={"lr": 0.01}, dir=sys.argv[1])
for step in range(int(sys.argv[2])):
    tracklet.log({"loss": 1.0 / (step + 1), "odd": math.nan if step % 2 else step})
    if sys.argv[3] == "pause" and step == int(sys.argv[2]) // 2 - 1:
        time.sleep(1.5)  # the writer flushes the first half as frames of their own
if sys.argv[3] in ("finish", "pause"):
    tracklet.finish()
    print(run.id)
else:  # die without finishing, once the writer has flushed the run log
    print(run.id, flush=True)
    time.sleep(2.0)
    os._exit(0)
"""


def offline_run(tmp_path: Path, data_dir: Path, steps: int, how: str = "finish") -> str:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(OFFLINE_SCRIPT))
    proc = subprocess.run([sys.executable, str(script), str(data_dir), str(steps), how],
                          capture_output=True, text=True, env=subprocess_env(), timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()[0]


def history_count(data_dir: Path, path: str) -> int:
    with tracklet.Api(data_dir) as api:
        return len(api.run(path).history(pandas=False))


def test_sync_ships_an_offline_run_once(tmp_path: Path, data_dir: Path) -> None:
    run_id = offline_run(tmp_path, data_dir, 1200)
    assert not (data_dir / "tracklet.db").exists()  # offline: nothing stored yet
    first = run_cli(data_dir, "sync")
    assert first.returncode == 0, first.stderr
    assert f"/air-gapped/{run_id}: " in first.stdout and "new records" in first.stdout
    listed = run_cli(data_dir, "runs", "ls", "air-gapped")
    assert "offline-run" in listed.stdout and "finished" in listed.stdout
    assert history_count(data_dir, f"air-gapped/{run_id}") == 1200
    with tracklet.Api(data_dir) as api:
        rows = api.run(f"air-gapped/{run_id}").history(pandas=False)
        assert math.isnan(rows[1]["odd"]) and rows[2]["odd"] == 2.0
        assert api.run(f"air-gapped/{run_id}").config == {"lr": 0.01}

    second = run_cli(data_dir, "sync")
    assert second.returncode == 0, second.stderr
    assert f"/air-gapped/{run_id}: up to date" in second.stdout
    assert "everything up to date" in second.stdout and "new records" not in second.stdout
    assert history_count(data_dir, f"air-gapped/{run_id}") == 1200


def test_sync_of_paths_elsewhere_and_of_a_killed_run(tmp_path: Path, data_dir: Path) -> None:
    node = tmp_path / "node1"  # e.g. copied from a cluster node
    run_id = offline_run(tmp_path, node, 300, how="die")
    result = cli(data_dir, "sync", str(node / "runs" / run_id))
    assert f"/air-gapped/{run_id}: " in result.output and "new records" in result.output
    assert history_count(data_dir, f"air-gapped/{run_id}") == 300
    # the process is gone without finishing: reading marks the run crashed
    runs = json.loads(cli(data_dir, "runs", "ls", "air-gapped", "--json").output)
    assert [(r["id"], r["state"]) for r in runs] == [(run_id, "crashed")]


def test_sync_warns_about_a_corrupt_run_log_and_ships_the_rest(tmp_path: Path,
                                                               data_dir: Path) -> None:
    run_id = offline_run(tmp_path, data_dir, 500, how="pause")
    (segment,) = (data_dir / "runs" / run_id).glob("*.tlog")
    raw = bytearray(segment.read_bytes())
    raw[-20:-12] = b"\xff" * 8  # inside the last frame
    segment.write_bytes(bytes(raw))
    result = run_cli(data_dir, "sync")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "stopped at byte" in result.stderr
    assert str(segment) in result.stderr
    offset = int(result.stderr.split("stopped at byte ")[1].split()[0])
    assert 0 < offset < len(raw)
    shipped = history_count(data_dir, f"air-gapped/{run_id}")
    assert 250 <= shipped < 500
    again = run_cli(data_dir, "sync")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert history_count(data_dir, f"air-gapped/{run_id}") == shipped


def test_sync_goes_on_past_a_segment_the_store_refuses(
        tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklet.errors import StoreError
    from tracklet.store.sql.store import SqlMetadataStore

    good, bad = offline_run(tmp_path, data_dir, 20), offline_run(tmp_path, data_dir, 30)
    real = SqlMetadataStore.append_records

    def refuse(self: SqlMetadataStore, header: Any, records: Any, *, live: bool = False) -> int:
        if header.run_id == bad:  # a fault injected for one run only
            raise StoreError("the disk is full")
        return real(self, header, records, live=live)

    monkeypatch.setattr(SqlMetadataStore, "append_records", refuse)
    result = CliRunner().invoke(main, ["--dir", str(data_dir), "sync"])
    assert result.exit_code == 1
    assert f"/air-gapped/{good}: " in result.stdout
    assert "StoreError: the disk is full" in result.stderr
    assert "1 run log(s) could not be stored" in result.stderr
    monkeypatch.undo()
    cli(data_dir, "sync")
    assert history_count(data_dir, f"air-gapped/{good}") == 20
    assert history_count(data_dir, f"air-gapped/{bad}") == 30


def test_sync_errors_and_empty_dirs(tmp_path: Path, data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["--dir", str(data_dir), "sync",
                                       str(tmp_path / "missing")])
    assert result.exit_code == 1 and "does not exist" in result.output
    (tmp_path / "empty").mkdir()
    result = cli(data_dir, "sync", str(tmp_path / "empty"))
    assert "nothing to sync" in result.output


# -- demo and the installed program ----------------------------------------------------------

def test_demo_logs_finished_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "tracklet"
    result = run_cli(data_dir, "demo", "--runs", "2", "--steps", "200", "--no-open")
    assert result.returncode == 0, result.stderr
    assert "tracklet --dir" in result.stdout and "runs ls demo" in result.stdout
    assert "ui    (the web dashboard)" in result.stdout
    with tracklet.Api(data_dir) as api:
        runs = list(api.runs("demo"))
        assert sorted(r.state for r in runs) == ["finished", "finished"]
        assert len({r.config["optimizer"] for r in runs}) == 2
        for run in runs:
            rows = run.history(keys=["train/loss"], pandas=False)
            assert [r["_step"] for r in rows] == list(range(200))
            evals = run.history(keys=["eval/loss"], pandas=False)
            assert len(evals) == 10
            assert set(run.summary["eval/loss"]) == {"min", "last"}
            assert run.metric_keys("system"), "system metrics were sampled"
            assert "demo" in run.tags and run.group


def test_installed_program_reports_its_version() -> None:
    program = Path(sys.executable).parent / "tracklet"
    if not program.exists():
        pytest.skip("the `tracklet` script is not installed next to this Python")
    proc = subprocess.run([str(program), "--version"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"tracklet {tracklet.__version__}"
