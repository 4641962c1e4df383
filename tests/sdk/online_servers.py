"""Tracking servers for the online-mode tests: the real app under uvicorn on a thread of
this process, or a real ``tracklet server`` process; plus a fault-injecting transport.

Both listen on a free 127.0.0.1 port, so the SDK talks to them over real sockets exactly
as it talks to a remote server. Mocks appear only to inject faults (``Flaky``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from servers import KEY, wait_for_health


@contextlib.contextmanager
def server_process(data_dir: Path, port: int, *extra: str) -> Iterator[str]:
    """``tracklet --dir DATA_DIR server --port PORT --api-key KEY``; yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")}
    cmd = [sys.executable, "-m", "tracklet.cli.main", "--dir", str(data_dir), "server",
           "--port", str(port), "--api-key", KEY, "--log-level", "warning", *extra]
    log = data_dir.parent / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_health(base_url, alive=lambda: proc.poll() is None)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log.read_text(errors='replace')}") from None
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Flaky:
    """A transport that fails the requests ``plan(n, request)`` picks and forwards the rest
    to the real server. Actions: ``"ok"``, ``"500"``, ``"refuse"`` (connection refused),
    ``"timeout"``, and ``"lose-reply"`` (the server applies it, the client sees a 502)."""

    def __init__(self, plan: Callable[[int, httpx.Request], str]) -> None:
        self.plan = plan
        self.real = httpx.HTTPTransport()
        self.seen: list[tuple[str, str, str]] = []  # (method, path, action)
        self.gzipped = 0
        self._count = itertools.count()
        self.transport = httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        action = self.plan(next(self._count), request)
        self.seen.append((request.method, request.url.path, action))
        if request.headers.get("content-encoding") == "gzip":
            self.gzipped += 1
        if action == "500":
            return httpx.Response(500, json={"error": {"code": "internal", "message": "boom",
                                                       "details": {}}})
        if action == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if action == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        request.read()
        response = self.real.handle_request(request)
        if action == "lose-reply":
            response.read()
            response.close()
            return httpx.Response(502, text="bad gateway")
        response.read()
        return httpx.Response(response.status_code, headers=[
            (k, v) for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")],
            content=response.content)

    def count(self, action: str) -> int:
        return sum(1 for _, _, a in self.seen if a == action)

    def close(self) -> None:
        self.real.close()
