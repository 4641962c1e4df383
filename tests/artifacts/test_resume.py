"""An artifact upload killed mid-way (client SIGKILLed, then the server SIGKILLed and
restarted) resumes without sending finished blobs again, and no version is visible
before its manifest is complete. Real server process, real client subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import tracklet
from servers import free_port, wait_for_health
from tracklet import errors
from tracklet.sdk.artifacts.client import reset_contexts

KEY = "resume-test-key"
HELPER = Path(__file__).parent / "helpers" / "log_child.py"
MIB = 1024 * 1024


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.db = tmp / "server.db"
        self.log = tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracklet.cli.main", "server", "--port",
                 str(self.port), "--db", f"sqlite:///{self.db}", "--api-key", KEY,
                 "--log-level", "warning"], env=env, stdout=out, stderr=subprocess.STDOUT)
        proc = self.proc
        wait_for_health(self.base_url, 30, alive=lambda: proc.poll() is None,
                        log=lambda: self.log.read_text(errors="replace")[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


def child(server: Server, data: Path, client: Path, slow: float) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")
           or k == "TRACKLET_CONFIG_DIR"}
    env["TRACKLET_ARTIFACT_THREADS"] = "1"
    return subprocess.Popen([sys.executable, str(HELPER), server.base_url, KEY, str(data),
                             str(client), str(slow)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def upload_states(server: Server, digests: list[str]) -> dict[str, dict[str, object]]:
    with httpx.Client(base_url=server.base_url + "/api/v1",
                      headers={"Authorization": f"Bearer {KEY}"}) as http:
        return {d: http.get(f"/artifact-blobs/alice/proj/{d}/upload").json()
                for d in digests}


@pytest.mark.slow
def test_killed_upload_resumes_without_resending(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    digests, sizes = [], {}
    for i in range(5):  # 5 blobs of 12 MiB: 2 chunks each
        blob = hashlib.sha256(str(i).encode()).digest() * (12 * MIB // 32)
        (data / f"part-{i}.bin").write_bytes(blob)
        digest = hashlib.sha256(blob).hexdigest()
        digests.append(digest)
        sizes[digest] = len(blob)
    server = Server(tmp_path)
    server.start()
    try:
        first = child(server, data, tmp_path / "client", slow=1.5)  # a wide window
        deadline = time.monotonic() + 120
        while True:  # poll until some blobs are done and one is half sent
            assert first.poll() is None, first.communicate()
            states = upload_states(server, digests)
            done = [d for d, s in states.items() if s["complete"]]
            partial = [d for d, s in states.items()
                       if not s["complete"] and int(s["offset"]) > 0]  # type: ignore[arg-type]
            if len(done) >= 2 and partial:
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.02)  # poll interval
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)  # reaps it and closes its pipes
        server.kill()  # and the server dies too, mid-upload
        server.start()

        states = upload_states(server, digests)
        done = [d for d, s in states.items() if s["complete"]]
        held = sum(int(s["offset"]) for s in states.values() if not s["complete"])  # type: ignore[arg-type]
        assert 2 <= len(done) < 5 and held > 0
        api = tracklet.Api(server.base_url, api_key=KEY)
        with pytest.raises(errors.NotFoundError):
            api.artifact("alice/proj/big:latest")  # nothing visible before the manifest

        second = child(server, data, tmp_path / "client", slow=0)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["version"] == "v0"
        assert report["transferred_files"] == 5 - len(done)
        assert report["reused_files"] == len(done)
        remaining = sum(sizes[d] for d in digests if d not in done) - held
        assert report["sent_bytes"] == remaining  # finished blobs and bytes not sent again
        found = api.artifact("alice/proj/big:latest")
        out_dir = Path(found.download(tmp_path / "download"))
        found.verify(out_dir)
        assert sorted(p.name for p in out_dir.iterdir()) == [f"part-{i}.bin" for i in range(5)]
    finally:
        reset_contexts()
        server.stop()
