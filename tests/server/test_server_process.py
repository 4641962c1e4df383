"""`tracklet server` as a real process: uvicorn on a free port, fed and read over HTTP."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from server_helpers import Batches, encode

from servers import create_database, free_port, wait_for_health

KEY = "process-key"


@contextmanager
def running_server(args: list[str], tmp_path: Path,
                   env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "tracklet.cli.main", "--dir", str(tmp_path / "data"),
           "server", "--port", str(port), *args]
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, alive=lambda: proc.poll() is None,
                        log=(tmp_path / "server.log").read_text)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        log.close()
    assert code == 0, (tmp_path / "server.log").read_text()


def ship_and_read(url: str) -> None:
    b = Batches("proc0001")
    records = [b.start(), *(b.history(s, {"loss": 1.0 / (s + 1)}) for s in range(100)),
               b.finish()]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"},
                      timeout=10) as client:
        reply = client.post(b.url, content=encode(records),
                            headers={"Content-Type": "application/x-msgpack"})
        assert reply.json() == {"acked": 102}, reply.text
        run = client.get(f"/api/v1/runs/{b.path}").json()
        assert (run["state"], run["summary"]["loss"]) == ("finished", 1.0 / 100)
        history = client.get(f"/api/v1/runs/{b.path}/history",
                             params={"keys": "loss"}).json()
        assert history["series"][0]["values"] == [1.0 / (s + 1) for s in range(100)]
        assert client.get("/api/v1/projects").json()["items"][0]["name"] == "proj"
        assert httpx.get(f"{url}/api/v1/projects").json()["items"] == []  # none public


def test_server_process_serves_the_data_directory(tmp_path: Path) -> None:
    with running_server(["--api-key", KEY], tmp_path) as url:
        ship_and_read(url)
    assert (tmp_path / "data" / "tracklet.db").is_file()  # the default store of --dir


def test_several_workers_on_postgresql(tmp_path: Path, postgres_base_url: str) -> None:
    db = create_database(postgres_base_url, f"p_{uuid.uuid4().hex[:16]}")
    with running_server(["--db", db, "--workers", "2"], tmp_path,
                        env={"TRACKLET_SERVER_API_KEYS": f"other,{KEY}"}) as url:
        ship_and_read(url)


def test_heartbeat_timeout_option_crashes_silent_runs(tmp_path: Path) -> None:
    b = Batches("silent01", t0=time.time())
    with running_server(["--api-key", KEY, "--heartbeat-timeout", "0.5"], tmp_path) as url, \
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"},
                         timeout=10) as client:
        live = {"Content-Type": "application/x-msgpack", "X-Tracklet-Live": "1"}
        assert client.post(b.url, content=encode([b.start()]), headers=live).status_code == 200
        deadline = time.monotonic() + 20
        state = "running"
        while state == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
            state = client.get(f"/api/v1/runs/{b.path}").json()["state"]
        assert state == "crashed"


def test_two_server_processes_on_one_postgresql_agree(tmp_path: Path,
                                                      postgres_base_url: str) -> None:
    """Writes through one process are read through the other at once; the same batches
    sent to both at the same time are applied exactly once."""
    db = create_database(postgres_base_url, f"p_{uuid.uuid4().hex[:16]}")
    env = {"TRACKLET_SERVER_API_KEYS": KEY}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with running_server(["--db", db], tmp_path / "a", env=env) as url_a, \
            running_server(["--db", db], tmp_path / "b", env=env) as url_b:
        auth = {"Authorization": f"Bearer {KEY}"}
        msgpack = {**auth, "Content-Type": "application/x-msgpack"}
        b = Batches("twice001")
        records = [b.start(), *(b.history(s, {"loss": float(s)}) for s in range(2000))]
        batches = [records[i:i + 100] for i in range(0, len(records), 100)]

        def send(url: str) -> list[int]:
            with httpx.Client(base_url=url, headers=msgpack, timeout=30) as client:
                return [client.post(b.url, content=encode(batch)).json()["acked"]
                        for batch in batches]

        with ThreadPoolExecutor(2) as pool:
            acked = list(pool.map(send, [url_a, url_b]))
        assert acked[0][-1] == acked[1][-1] == len(records)
        for url in (url_a, url_b):
            history = httpx.get(f"{url}/api/v1/runs/{b.path}/history",
                                params={"keys": "loss", "limit": 5000}, headers=auth).json()
            assert history["series"][0]["steps"] == list(range(2000))
            assert history["series"][0]["values"] == [float(s) for s in range(2000)]
        patched = httpx.patch(f"{url_a}/api/v1/runs/{b.path}", json={"notes": "via a"},
                              headers=auth)
        assert patched.status_code == 200
        assert httpx.get(f"{url_b}/api/v1/runs/{b.path}",
                         headers=auth).json()["notes"] == "via a"


def test_blobs_default_to_the_data_directory_with_postgresql(tmp_path: Path,
                                                             postgres_base_url: str) -> None:
    db = create_database(postgres_base_url, f"p_{uuid.uuid4().hex[:16]}")
    data = b"a dataset\n"
    digest = hashlib.sha256(data).hexdigest()
    with running_server(["--db", db, "--api-key", KEY], tmp_path) as url:
        reply = httpx.put(f"{url}/api/v1/artifact-blobs/team/proj/{digest}/upload",
                          params={"offset": 0, "size": len(data)}, content=data,
                          headers={"Authorization": f"Bearer {KEY}",
                                   "Content-Type": "application/octet-stream"})
        assert reply.status_code == 200, reply.text
    stored = [p for p in (tmp_path / "data" / "artifacts" / "blobs").rglob(digest)]
    assert [p.read_bytes() for p in stored] == [data]
