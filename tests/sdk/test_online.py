"""Online mode: runs streamed to a real tracking server, read back through ``tracklet.Api``.

Servers are real (the app under uvicorn on a thread, or a ``tracklet server`` process);
``httpx.MockTransport`` appears only to inject faults in front of them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from online_servers import Flaky, server_process

import tracklet
from assertions import same
from servers import KEY, ThreadServer, free_port
from tracklet import errors
from tracklet.cli.main import main
from tracklet.core import records as r
from tracklet.core.segment import SegmentHeader
from tracklet.sdk import credentials
from tracklet.sdk.settings import Settings
from tracklet.shipping.client import RetryPolicy, ServerClient
from tracklet.shipping.follower import LogFollower
from tracklet.shipping.http import HttpShipper
from tracklet.shipping.local import LocalShipper
from tracklet.shipping.runlog import RunLogWriter, find_segments
from tracklet.shipping.sync import sync_paths
from tracklet.store.base import RunRef
from tracklet.store.sql.engine import sqlite_url
from tracklet.store.sql.store import SqlMetadataStore

QUIET = {"system_metrics": False, "console_capture": False}
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01)
nan, inf = math.nan, math.inf


@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("TRACKLET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRACKLET_CONFIG_DIR", str(tmp_path / "config"))  # never ~/.config
    monkeypatch.chdir(tmp_path)
    while tracklet.run is not None:
        tracklet.finish()
    yield
    while tracklet.run is not None:
        tracklet.finish()
    wait_for_shippers()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadServer]:
    with ThreadServer(tmp_path / "server.db") as live:
        yield live


def wait_for_shippers(timeout: float = 20.0) -> None:
    """Wait until no follower thread is left (they give up after a finish timeout)."""
    deadline = time.monotonic() + timeout
    while any(t.name == "tracklet-shipper" for t in threading.enumerate()):
        if time.monotonic() > deadline:
            raise AssertionError("a tracklet-shipper thread outlived its run")
        time.sleep(0.05)


def online(base_url: str, tmp_path: Path, key: str = KEY, **kwargs: Any) -> tracklet.Run:
    kwargs.setdefault("project", "proj")
    return tracklet.init(dir=tmp_path / "client", mode="online",
                         settings={"base_url": base_url, "api_key": key, **QUIET}, **kwargs)


def log_points(steps: int = 300) -> list[dict[str, Any]]:
    """Log ``steps`` rows (NaN and infinities among them); the rows as they should read back."""
    rows = []
    for i in range(steps):
        loss = [nan, inf, -inf][i % 3] if i % 50 == 7 else 1.0 / (i + 1)
        tracklet.log({"loss": loss, "acc": i / steps}, step=2 * i)
        rows.append({"_step": 2 * i, "loss": loss, "acc": i / steps})
    return rows


def history(base_url: str, path: str) -> list[dict[str, Any]]:
    with tracklet.Api(base_url, api_key=KEY) as api:
        run = api.run(path)
        return [{k: v for k, v in row.items() if k not in ("_timestamp", "_runtime")}
                for row in run.scan_history()]


def warnings_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if "tracklet: WARNING" in line]


# -- streaming to a server -----------------------------------------------------------------


def test_online_run_reads_back_exactly_through_the_api(
        server: ThreadServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = online(server.base_url, tmp_path, config={"lr": 0.1, "clip": inf}, tags=["a"])
    assert run.settings.mode == "online"
    assert run.url == f"{server.base_url}/{run.entity}/proj/runs/{run.id}"
    rows = log_points()
    run.summary["best"] = nan
    tracklet.finish(timeout=30)
    assert run.finish_status is not None and run.finish_status.pending == 0
    assert warnings_in(capsys.readouterr().err) == []

    assert same(history(server.base_url, run.path), rows)
    with tracklet.Api(server.base_url, api_key=KEY) as api:
        stored = api.run(run.path)
        assert (stored.state, stored.tags, stored.last_step) == ("finished", ["a"], 598)
        assert same(stored.config, {"lr": 0.1, "clip": inf})  # msgpack: floats stay floats
        assert same(stored.summary["best"], nan)
        assert same(stored.summary["loss"], rows[-1]["loss"])
        assert [p.name for p in api.projects()] == ["proj"]
        assert sorted(stored.metric_keys()) == ["acc", "loss"]
        sampled = stored.history(keys=["loss"], samples=10, pandas=False)
        assert len(sampled) == 10 and sampled[-1]["_step"] == 598


def test_a_real_server_process_gets_every_point(tmp_path: Path) -> None:
    port = free_port()
    with server_process(tmp_path / "server", port) as base_url:
        run = online(base_url, tmp_path)
        rows = log_points(1000)
        tracklet.finish(timeout=30)
        assert run.finish_status is not None and run.finish_status.pending == 0
        assert same(history(base_url, run.path), rows)


def test_server_unreachable_at_init_then_sync_uploads_everything_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there yet
    base_url = f"http://127.0.0.1:{port}"
    began = time.monotonic()
    run = online(base_url, tmp_path)
    assert time.monotonic() - began < 1.0  # init never waits for the server
    rows = log_points(500)
    time.sleep(2.5)  # a retry or two of the follower: still one warning
    began = time.monotonic()
    tracklet.finish(timeout=2)
    assert time.monotonic() - began < 6  # bounded by the timeout (plus one last try)
    status = run.finish_status
    assert status is not None and status.written > 500 and status.pending == status.written

    shown = warnings_in(capsys.readouterr().err)
    about_server = [w for w in shown if "cannot ship records yet" in w]
    assert len(about_server) == 1 and base_url in about_server[0]
    report = [w for w in shown if w not in about_server]
    assert len(report) == 1
    assert f"{status.pending} records are in the run log but not on the server" in report[0]
    assert f"tracklet sync --host {base_url}" in report[0]
    wait_for_shippers()  # the follower gave up: sync below is what uploads

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")}
    env.update(TRACKLET_API_KEY=KEY, TRACKLET_CONFIG_DIR=str(tmp_path / "config"))
    sync = [sys.executable, "-m", "tracklet.cli.main", "--dir", str(tmp_path / "client"),
            "sync", "--host", base_url]
    with server_process(tmp_path / "server", port):
        first = subprocess.run(sync, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert f"{run.path}: {status.written} new records" in first.stdout
        assert f"to {base_url}" in first.stdout
        assert same(history(base_url, run.path), rows)

        again = subprocess.run(sync, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert "everything up to date" in again.stdout
        assert same(history(base_url, run.path), rows)
        with tracklet.Api(base_url, api_key=KEY) as api:
            assert api.run(run.path).state == "finished"


def test_a_server_restart_mid_run_loses_and_duplicates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    with ThreadServer(tmp_path / "server.db", port=port) as first:
        run = online(first.base_url, tmp_path)
        rows = log_points(200)
        run.summary["phase"] = 1  # waits until the writer has handled what came before
        time.sleep(0.3)
    rows += [{"_step": 1000 + i, "loss": float(i), "acc": 0.5} for i in range(300)]
    for row in rows[200:]:  # logged while the server is down
        tracklet.log({"loss": row["loss"], "acc": row["acc"]}, step=row["_step"])
    time.sleep(3.0)  # longer than one delivery's retries: the follower gives up once
    with ThreadServer(tmp_path / "server.db", port=port) as second:
        tracklet.finish(timeout=30)
        assert run.finish_status is not None and run.finish_status.pending == 0
        assert same(history(second.base_url, run.path), rows)
    shown = warnings_in(capsys.readouterr().err)
    assert len(shown) == 1 and "retrying, nothing is lost" in shown[0], shown


def test_wrong_key_gives_one_clear_warning_naming_401(
        server: ThreadServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = online(server.base_url, tmp_path, key="not-the-key")
    log_points(50)
    time.sleep(2.5)  # the follower tries again: no second warning
    tracklet.finish(timeout=1)
    shown = warnings_in(capsys.readouterr().err)
    about_key = [w for w in shown if "401" in w]
    assert len(about_key) == 1, shown
    assert "refused the API key" in about_key[0] and "tracklet login" in about_key[0]
    with tracklet.Api(server.base_url, api_key=KEY) as api, \
            pytest.raises(errors.NotFoundError):
        api.run(run.path)


# -- the shipper: retries, batches, limits -------------------------------------------------


def offline_log(tmp_path: Path, steps: int) -> tuple[tracklet.Run, list[dict[str, Any]]]:
    run = tracklet.init(dir=tmp_path / "client", project="proj", mode="offline",
                        settings=QUIET)
    rows = log_points(steps)
    tracklet.finish()
    return run, rows


def test_retries_on_injected_failures_end_with_every_point_once(
        server: ThreadServer, tmp_path: Path) -> None:
    run, rows = offline_log(tmp_path, 2000)
    actions = ["ok", "500", "refuse", "ok", "lose-reply", "timeout", "ok", "500", "ok"]
    flaky = Flaky(lambda n, request: actions[n % len(actions)])
    shipper = HttpShipper(server.base_url, KEY, transport=flaky.transport,
                          max_batch_records=300, retry=FAST)
    try:
        report = sync_paths([tmp_path / "client"], shipper)
    finally:
        shipper.close()
        flaky.close()
    assert report.problems == [] and report.shipped == run.finish_status.written  # type: ignore[union-attr]
    assert flaky.count("lose-reply") >= 1 and flaky.count("500") >= 2
    assert same(history(server.base_url, run.path), rows)


def test_follower_outlasts_a_server_failing_for_a_while(server: ThreadServer,
                                                        tmp_path: Path) -> None:
    run, rows = offline_log(tmp_path, 1500)
    path = find_segments([tmp_path / "client"])[0]
    failing = {"until": 12}
    flaky = Flaky(lambda n, request: "500" if n < failing["until"] else "ok")
    warned: list[tuple[str, str]] = []
    header = SegmentHeader(path.stem, run.id, run.project, run.entity)
    follower = LogFollower(
        path, header, lambda: HttpShipper(server.base_url, KEY, transport=flaky.transport,
                                          retry=FAST, max_batch_records=200),
        interval=0.05, warn=lambda topic, text: warned.append((topic, text)))
    follower.start()
    follower.close(timeout=30)
    flaky.close()
    assert follower.finished and follower.shipped_seq == run.finish_status.written  # type: ignore[union-attr]
    assert warned and all("500 internal" in text for _, text in warned)
    assert same(history(server.base_url, run.path), rows)


def test_batches_split_compress_and_halve_on_413(tmp_path: Path) -> None:
    run, rows = offline_log(tmp_path, 1200)
    flaky = Flaky(lambda n, request: "ok")
    with ThreadServer(tmp_path / "small.db", max_batch_records=100) as small:
        shipper = HttpShipper(small.base_url, KEY, transport=flaky.transport, retry=FAST,
                              max_batch_records=1000, max_batch_bytes=64 * 1024)
        try:
            report = sync_paths([tmp_path / "client"], shipper)
        finally:
            shipper.close()
            flaky.close()
        assert report.problems == []
        assert same(history(small.base_url, run.path), rows)
    posts = [s for s in flaky.seen if s[0] == "POST"]
    assert len(posts) >= 12 and flaky.gzipped >= 1


def test_client_retries_with_backoff_then_raises_the_servers_error() -> None:
    calls: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    slept: list[float] = []
    client = ServerClient("http://tracker.invalid:8080/", KEY,
                          transport=httpx.MockTransport(down),
                          retry=RetryPolicy(attempts=4, base=0.5, cap=1.5),
                          sleep=slept.append, rng=lambda: 1.0)
    with client, pytest.raises(errors.ServerUnavailableError,
                               match="cannot reach the Tracklet server"):
        client.request("GET", "/projects")
    assert len(calls) == 4 and slept == [0.5, 1.0, 1.5]  # doubling, capped

    def answer(status: int, code: str) -> httpx.MockTransport:
        def reply(request: httpx.Request) -> httpx.Response:
            calls.append(code)
            return httpx.Response(status, json={"error": {"code": code, "message": "no",
                                                          "details": {"x": 1}}})
        return httpx.MockTransport(reply)

    for status, code, cls, tries in [(401, "unauthorized", errors.AuthError, 1),
                                     (404, "not_found", errors.NotFoundError, 1),
                                     (413, "body_too_large", errors.TooLargeError, 1),
                                     (503, "store_error", errors.StoreError, 3)]:
        calls.clear()
        with ServerClient("http://tracker.invalid", KEY, transport=answer(status, code),
                          retry=RetryPolicy(attempts=3), sleep=lambda s: None) as client, \
                pytest.raises(cls) as info:
            client.request("GET", "/projects")
        assert len(calls) == tries and info.value.details == {"x": 1}
        assert info.value.code == code and info.value.status == status


# -- reading a server: the same answers as the local store ---------------------------------


def write_log(tmp_path: Path) -> tuple[Path, RunRef, int]:
    """A run log with 150 keys, console lines, config, summary and a finish."""
    header = SegmentHeader("segapi0001", "apirun01", "proj", "team")
    path = tmp_path / "client" / "runs" / header.run_id / f"{header.segment}.tlog"
    writer = RunLogWriter(path, header)
    recs: list[Any] = [r.RunStart(1, 1000.0, header.run_id, "proj", "team", "api-run",
                                  tags=["x"]),
                       r.ConfigUpdate(2, 1000.5, {"lr": 0.1, "opt": {"name": "adam"}})]
    for step in range(40):
        values = {f"k{j:03d}": step * j + (nan if step == 3 else 0.0) for j in range(150)}
        recs.append(r.History(len(recs) + 1, 1001.0 + step, step, values))
    recs.append(r.Console(len(recs) + 1, 1050.0, [(1050.0 + i, "stdout", f"line {i}")
                                                  for i in range(25)]))
    recs.append(r.SummaryUpdate(len(recs) + 1, 1051.0, {"best": inf}))
    recs.append(r.RunFinish(len(recs) + 1, 1052.0, "finished", 0))
    writer.append(recs)
    writer.close()
    return path, RunRef("team", "proj", header.run_id), len(recs)


def test_api_over_http_answers_like_the_local_store(server: ThreadServer, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import tracklet.sdk.http_api as http_api

    _, ref, count = write_log(tmp_path)
    second = tracklet.init(dir=tmp_path / "client", project="proj", entity="team",
                           mode="offline", settings=QUIET, config={"lr": 0.01})
    tracklet.log({"k000": 1.0})
    tracklet.finish()
    local = SqlMetadataStore(sqlite_url(tmp_path / "local.db"))
    try:
        sync_paths([tmp_path / "client"], LocalShipper(local, owns_store=False))
        shipper = HttpShipper(server.base_url, KEY)
        assert sync_paths([tmp_path / "client"], shipper).problems == []
        shipper.close()
        monkeypatch.setattr(http_api, "MAX_POINTS", 7)  # many pages of history
        monkeypatch.setattr(http_api, "MAX_CONSOLE", 4)
        remote = http_api.HttpRunReader(server.base_url, KEY)
        keys = [f"k{j:03d}" for j in range(150)]
        assert same(remote.get_run(ref).__dict__, local.get_run(ref).__dict__)
        assert remote.list_projects() == local.list_projects()
        assert remote.list_metric_keys(ref, kind="history") == keys
        for kwargs in [{}, {"min_step": 5, "max_step": 30}, {"limit": 9},
                       {"min_step": 2, "limit": 20}]:
            assert same([s.__dict__ for s in remote.read_series(ref, keys, **kwargs)],
                        [s.__dict__ for s in local.read_series(ref, keys, **kwargs)]), kwargs
        assert remote.read_console(ref, offset=3, limit=10) == local.read_console(
            ref, offset=3, limit=10)
        assert remote.read_console(ref, search="line 2") == local.read_console(
            ref, search="line 2")
        remote.close()
    finally:
        local.close()

    with tracklet.Api(server.base_url, api_key=KEY) as api:
        runs = api.runs("team/proj", per_page=1)
        assert sorted(run.id for run in runs) == sorted([ref.run_id, second.id])
        assert [run.id for run in api.runs("team/proj", filters={"config.lr": 0.01})] == [
            second.id]
        assert [run.id for run in api.runs("team/proj", filters={"tags": "x"},
                                           order="+created_at")] == [ref.run_id]
        run = api.run("team/proj/apirun01")
        assert run.last_step == 39 and run.summary["best"] == inf
        rows = list(run.scan_history(keys=["k001", "k149"]))
        assert [row["_step"] for row in rows] == list(range(40))
        assert same(rows[3]["k001"], nan) and rows[39]["k149"] == 39 * 149
        with pytest.raises(errors.NotFoundError):
            api.run("team/proj/nosuchrun")
        with pytest.raises(errors.UsageError, match="reads a server"):
            api.store  # noqa: B018
    assert count == 45


def test_api_without_a_path_reads_the_configured_server(server: ThreadServer, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    run = online(server.base_url, tmp_path)
    rows = log_points(20)
    tracklet.finish(timeout=30)
    monkeypatch.setenv("TRACKLET_BASE_URL", server.base_url)
    monkeypatch.setenv("TRACKLET_API_KEY", KEY)
    with tracklet.Api() as api:
        found = api.run(run.path)
        assert len(list(found.scan_history())) == len(rows)
    with pytest.raises(errors.AuthError, match="401"), tracklet.Api(server.base_url,
                                                                     api_key="bad") as api:
        api.projects()


# -- settings, login and the credentials file ----------------------------------------------


def test_mode_resolution_arguments_environment_credentials(tmp_path: Path) -> None:
    config = tmp_path / "conf"
    assert Settings.resolve({}, env={}, config_dir=config).mode == "local"
    credentials.store_key(config, "http://a.example:8080/", "key-a")
    from_file = Settings.resolve({}, env={}, config_dir=config)
    assert (from_file.mode, from_file.base_url, from_file.api_key) == (
        "online", "http://a.example:8080", "key-a")
    assert "key-a" not in repr(from_file)
    env = {"TRACKLET_BASE_URL": "http://b.example", "TRACKLET_API_KEY": "key-b"}
    from_env = Settings.resolve({}, env=env, config_dir=config)
    assert (from_env.mode, from_env.base_url, from_env.api_key) == (
        "online", "http://b.example", "key-b")
    other_host = Settings.resolve({}, env={"TRACKLET_BASE_URL": "http://b.example"},
                                  config_dir=config)
    assert other_host.mode == "local" and other_host.api_key == ""  # no key for that host
    args = Settings.resolve({"mode": "offline"}, env=env, config_dir=config)
    assert args.mode == "offline" and args.base_url == "http://b.example"
    assert Settings.resolve({}, env={"TRACKLET_MODE": "local"}, config_dir=config).mode == (
        "local")
    with pytest.raises(ValueError, match="tracklet login"):
        Settings.resolve({"mode": "online"}, env={}, config_dir=tmp_path / "none")
    with pytest.raises(ValueError, match="not a server URL"):
        Settings.resolve({"base_url": "tracker:8080"}, env={}, config_dir=config)


def test_login_writes_a_private_file_and_refuses_a_wrong_key(server: ThreadServer,
                                                             tmp_path: Path) -> None:
    config = tmp_path / "config"
    env = {"TRACKLET_CONFIG_DIR": str(config)}
    runner = CliRunner()
    wrong = runner.invoke(main, ["login", "--host", server.base_url, "--key", "nope"],
                          env=env)
    assert wrong.exit_code == 1
    assert "refused this API key (401 unauthorized)" in wrong.output
    assert not (config / "credentials.json").exists()

    done = runner.invoke(main, ["login", "--host", server.base_url + "/"], input=KEY + "\n",
                         env=env)
    assert done.exit_code == 0, done.output
    assert KEY not in done.output  # the prompt hides the key
    path = config / "credentials.json"
    assert str(path) in done.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"base_url": server.base_url,
                                            "keys": {server.base_url: KEY}}
    settings = Settings.resolve({}, env={}, config_dir=config)
    assert (settings.mode, settings.api_key) == ("online", KEY)

    again = runner.invoke(main, ["login"], env=env)
    assert again.exit_code == 0 and "already logged in" in again.output
    relogin = runner.invoke(main, ["login", "--relogin"], input="bad\n", env=env)
    assert relogin.exit_code == 1 and "401" in relogin.output
    assert json.loads(path.read_text())["keys"] == {server.base_url: KEY}  # kept

    # a run started without a mode now streams to the server
    run = tracklet.init(dir=tmp_path / "client", project="proj", settings=QUIET)
    assert run.settings.mode == "online"
    rows = log_points(10)
    tracklet.finish(timeout=30)
    assert same(history(server.base_url, run.path), rows)


def test_sync_without_a_key_says_how_to_get_one(tmp_path: Path) -> None:
    offline_log(tmp_path, 3)
    out = CliRunner().invoke(main, ["--dir", str(tmp_path / "client"), "sync", "--host",
                                    "http://127.0.0.1:9"],
                             env={"TRACKLET_CONFIG_DIR": str(tmp_path / "config")})
    assert out.exit_code == 1
    assert "no API key for http://127.0.0.1:9" in out.output
    assert "tracklet login --host http://127.0.0.1:9" in out.output


def test_a_server_holding_less_than_expected_makes_the_sender_reread(server: ThreadServer
                                                                     ) -> None:
    header = SegmentHeader("seggap0001", "gaprun01", "proj", "team")
    with contextlib.closing(HttpShipper(server.base_url, KEY, retry=FAST)) as shipper:
        assert shipper.acked(header) == 0
        with pytest.raises(errors.ConflictError, match="up to seq 0 only"):
            shipper.ship(header, [r.Heartbeat(5, 1.0)])  # 1-4 missing: nothing is sent


# -- resuming a run online -------------------------------------------------------------------


def test_resume_on_another_machine_continues_from_the_server(
        server: ThreadServer, tmp_path: Path) -> None:
    first = online(server.base_url, tmp_path / "machine-a", config={"lr": 0.1})
    for step in range(5):
        tracklet.log({"loss": 1.0 / (step + 1)})
    tracklet.finish(timeout=30)
    # a restarted job on another machine: no run log of the run there
    again = online(server.base_url, tmp_path / "machine-b", id=first.id, resume="must")
    assert again.name == first.name
    assert dict(again.config) == {"lr": 0.1}
    assert again.summary["loss"] == 1.0 / 5
    tracklet.log({"loss": 0.1})  # the next step, not step 0 again
    tracklet.finish(timeout=30)
    assert [(row["_step"], row["loss"]) for row in history(server.base_url, first.path)] == [
        *((s, 1.0 / (s + 1)) for s in range(5)), (5, 0.1)]


def test_resume_online_without_the_server(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(errors.ServerUnavailableError, match="cannot resume run gone1234"):
        online(down, tmp_path, id="gone1234", resume="must")
    assert tracklet.run is None
    run = online(down, tmp_path, id="gone1234", resume="allow")
    assert run.id == "gone1234"
    assert "starting it as new" in capsys.readouterr().err
    tracklet.finish(timeout=1)


def test_resume_must_names_the_server_when_the_run_is_unknown(server: ThreadServer,
                                                              tmp_path: Path) -> None:
    with pytest.raises(errors.NotFoundError, match=f"does not exist in {server.base_url}"):
        online(server.base_url, tmp_path, id="nosuch12", resume="must")
