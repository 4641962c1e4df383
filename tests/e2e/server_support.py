"""A real ``tracklet server`` process the e2e tests can SIGKILL and start again.

The server listens on 127.0.0.1 only, on a port chosen by the test, over an SQLite
database in the test's temporary directory. ``start`` waits (with a deadline) until
``/api/v1/health`` answers; ``kill`` sends SIGKILL to that one process, by its pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from e2e_support import Child

from servers import wait_for_health

KEY = "e2e-server-key"


class ServerProcess:
    """``tracklet server --db sqlite:///DB --port PORT --api-key KEY`` as a child."""

    def __init__(self, db_path: Path, port: int, *extra: str) -> None:
        self.db_path = db_path
        self.port = port
        self.extra = extra
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = db_path.parent / f"server-{port}.log"

    def start(self, timeout: float = 30.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
        cmd = [sys.executable, "-m", "tracklet.cli.main", "server", "--host", "127.0.0.1",
               "--port", str(self.port), "--db", f"sqlite:///{self.db_path}",
               "--api-key", KEY, "--log-level", "warning", *self.extra]
        with open(self.log_path, "ab") as out:
            out.write(f"--- start {self.starts + 1} ---\n".encode())
            out.flush()
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        proc = self.proc
        wait_for_health(self.base_url, timeout, alive=lambda: proc.poll() is None,
                        log=self.log)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, open transactions die with the process."""
        assert self.proc is not None and self.proc.poll() is None, "not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def get_json(base_url: str, path: str, **params: Any) -> Any:
    """``GET /api/v1/PATH`` with the test key; the decoded JSON (raises on non-2xx)."""
    response = httpx.get(f"{base_url}/api/v1/{path}", params=params, timeout=10.0,
                         headers={"Authorization": f"Bearer {KEY}"})
    response.raise_for_status()
    return response.json()


def last_step(base_url: str, run_path: str) -> int | None:
    """The highest step the server holds for a run (None: no step or no such run yet);
    None too while the server is down."""
    try:
        return get_json(base_url, f"runs/{run_path}")["last_step"]  # type: ignore[no-any-return]
    except (httpx.TransportError, httpx.HTTPStatusError):
        return None



class ScriptChild(Child):
    """An ``e2e_support.Child`` running another script of ``helpers/`` than ``train.py``."""

    def __init__(self, script: Path, args: list[str], *, env: dict[str, str], cwd: Path,
                 stdin: bool = False) -> None:
        super().__init__(args, env=env, cwd=cwd, stdin=stdin, script=script)
