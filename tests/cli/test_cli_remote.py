"""`tracklet runs ls/show` and `tracklet export` with `--host`: the same answers from a
tracking server as from the local directory the runs were synced from."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tracklet
from servers import KEY, ThreadServer
from tracklet.cli.main import main

FAST = {"mode": "local", "system_metrics": False, "console_capture": False}


def cli(data_dir: Path, *args: str, code: int = 0, key: str | None = KEY) -> Result:
    env = {"TRACKLET_API_KEY": key} if key else {}
    result = CliRunner().invoke(main, ["--dir", str(data_dir), *args], env=env,
                                catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadServer]:
    with ThreadServer(tmp_path / "server.db") as s:
        yield s


@pytest.fixture
def synced(tmp_path: Path, server: ThreadServer) -> Path:
    """Two runs logged locally, then uploaded with `tracklet sync --host`."""
    data = tmp_path / "local"
    for name, lr, losses in (("small-lr", 0.01, [2.0, 1.0, math.nan]),
                             ("big-lr", 0.5, [2.0, 3.0, 4.0])):
        tracklet.init(project="remote", name=name, config={"lr": lr}, reinit=True,
                      settings={**FAST, "dir": str(data)})
        for step, loss in enumerate(losses):
            tracklet.log({"loss": loss, "acc": step / 10})
        tracklet.finish()
    cli(data, "sync", "--host", server.base_url)
    return data


def test_runs_ls_and_show_read_the_server(synced: Path, server: ThreadServer,
                                          tmp_path: Path) -> None:
    elsewhere = tmp_path / "empty"  # no local data at all: everything comes from the server
    local = json.loads(cli(synced, "runs", "ls", "remote", "--json").output)
    remote = json.loads(cli(elsewhere, "runs", "ls", "remote", "--json", "--host",
                            server.base_url).output)
    assert [(r["name"], r["state"], r["config"]) for r in remote] == [
        (r["name"], r["state"], r["config"]) for r in local]
    assert sorted(r["name"] for r in remote) == ["big-lr", "small-lr"]
    filtered = cli(elsewhere, "runs", "ls", "remote", "--filter", "config.lr>0.1",
                   "--host", server.base_url).output
    assert "big-lr" in filtered and "small-lr" not in filtered

    run_id = next(r["id"] for r in remote if r["name"] == "big-lr")
    shown = json.loads(cli(elsewhere, "runs", "show", f"remote/{run_id}", "--json",
                           "--host", server.base_url).output)
    assert shown["summary"]["loss"] == 4.0
    assert shown["history_keys"] == ["acc", "loss"]


def test_export_reads_the_server(synced: Path, server: ThreadServer, tmp_path: Path) -> None:
    elsewhere = tmp_path / "empty"
    remote = json.loads(cli(elsewhere, "runs", "ls", "remote", "--json", "--host",
                            server.base_url).output)
    run_id = next(r["id"] for r in remote if r["name"] == "small-lr")
    out = cli(elsewhere, "export", f"remote/{run_id}", "--host", server.base_url).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["_step"]), r["loss"], r["acc"]) for r in rows] == [
        (0, "2.0", "0.0"), (1, "1.0", "0.1"), (2, "NaN", "0.2")]


def test_a_missing_key_or_a_bad_url_says_what_to_do(tmp_path: Path,
                                                    server: ThreadServer) -> None:
    no_key = cli(tmp_path, "runs", "ls", "remote", "--host", server.base_url, code=1,
                 key=None)
    assert f"no API key for {server.base_url}" in no_key.output
    assert "tracklet login" in no_key.output
    wrong = cli(tmp_path, "runs", "ls", "remote", "--host", server.base_url, code=1,
                key="wrong-key")
    assert "API key" in wrong.output
    bad = cli(tmp_path, "runs", "ls", "remote", "--host", "ftp://nowhere", code=2)
    assert "--host" in bad.output
