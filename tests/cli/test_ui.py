"""``tracklet ui``: the local directory, read-only, without a key, on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import msgspec

import tracklet
from servers import free_port, wait_for_health


def test_ui_serves_local_runs_read_only_without_a_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with tracklet.init(project="local", dir=data, settings={
            "system_metrics": False, "console_capture": False}) as run:
        for step in range(50):
            run.log({"loss": 1.0 / (step + 1)})
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")
           or k == "TRACKLET_CONFIG_DIR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "--dir", str(data), "ui", "--port",
         str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_for_health(f"http://127.0.0.1:{port}", alive=lambda: proc.poll() is None)

        runs = httpx.get(f"{base}/runs/{run.entity}/local").json()["items"]
        assert [r["run_id"] for r in runs] == [run.id]
        assert runs[0]["state"] == "finished"
        history = httpx.get(f"{base}/runs/{run.path}/history", params={"keys": "loss"})
        (series,) = history.json()["series"]
        assert series["steps"] == list(range(50))
        assert series["values"] == [1.0 / (s + 1) for s in range(50)]

        write = httpx.post(f"{base}/ingest/{run.path}/segment0001",
                           content=msgspec.msgpack.encode([]),
                           headers={"Content-Type": "application/x-msgpack"})
        assert write.status_code == 401
        assert write.json()["error"]["code"] == "unauthorized"
        edit = httpx.patch(f"{base}/runs/{run.path}", json={"name": "x"})
        assert edit.status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/api/v1" in err
    assert "read-only" in err
