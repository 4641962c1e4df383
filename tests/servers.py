"""Real servers the tests start for themselves: a throwaway PostgreSQL cluster, and the
tracking server under uvicorn on a thread of the test process (``ThreadServer``).

Under ``CI=true`` a server that cannot start fails the tests that need it; elsewhere those
tests are skipped with the reason, so a laptop without PostgreSQL can still run the rest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

PG_BINS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: real components must run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_health(base_url: str, timeout: float = 30.0,
                    alive: Callable[[], bool] = lambda: True, log: Callable[[], str] = str
                    ) -> None:
    """Poll ``BASE_URL/api/v1/health`` until it answers 200, the server dies (``alive``
    turns False) or ``timeout`` passes; ``log()`` is added to the failure message."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/api/v1/health", timeout=1.0).status_code == 200:
                return
        if not alive():
            raise AssertionError(f"the server at {base_url} died while starting\n{log()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the server at {base_url} did not come up in {timeout} s"
                                 f"\n{log()}")
        time.sleep(0.05)  # poll interval, not a synchronisation point


def _pg_bin() -> Path | None:
    for path in PG_BINS:
        if (path / "initdb").exists():
            return path
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 in a temporary directory; yield its base URL."""
    pgbin = _pg_bin()
    if pgbin is None:
        unavailable("PostgreSQL binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("unreachable")
    root = Path(tempfile.mkdtemp(prefix="tracklet-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    data, log = root / "data", root / "log"
    try:
        subprocess.run([*prefix, str(pgbin / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True)
        subprocess.run([*prefix, str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                        "-o", f"-h 127.0.0.1 -p {port} -k {root} -F -c fsync=off "
                        "-c synchronous_commit=off", "start"], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"PostgreSQL did not start: {exc.stderr.decode()} {text}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*prefix, str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """A new empty database on the cluster at ``base_url``; its URL."""
    import psycopg

    dsn = base_url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


KEY = "online-test-key"  # the static admin key of ThreadServer


class ThreadServer:
    """``create_app`` under uvicorn on a thread of this process, over the SQLite file
    ``db`` or the database URL ``db``."""

    def __init__(self, db: Path | str, *, port: int | None = None, **settings: Any) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        from tracklet.server import ServerSettings, create_app
        from tracklet.store.sql.engine import sqlite_url

        values: dict[str, Any] = {"api_keys": [KEY], "heartbeat_timeout": 0, **settings}
        url = self.db_url = db if isinstance(db, str) else sqlite_url(db)
        if not url.startswith("sqlite"):  # blobs would go to the working directory
            values.setdefault("blobs", tempfile.mkdtemp(prefix="tracklet-test-blobs-"))
        app = self.app = create_app(ServerSettings(db_url=url, **values))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                log_level="warning", ws="none", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-uvicorn",
                                        daemon=True)

    def __enter__(self) -> ThreadServer:
        self._thread.start()
        wait_for_health(self.base_url, alive=self._thread.is_alive)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(15)
