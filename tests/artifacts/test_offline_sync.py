"""Artifacts of offline runs: kept in the local store, shipped by `tracklet sync --host`
(a real program) to a real `tracklet server` process with their aliases and lineage,
once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import servers
import tracklet
from tracklet import errors

KEY = "offline-sync-key"
OFFLINE = {"system_metrics": False, "console_capture": False}

pytestmark = pytest.mark.usefixtures("clean_session")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = servers.free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "server", "--host", "127.0.0.1", "--port",
         str(port), "--db", f"sqlite:///{tmp_path / 'server.db'}", "--blobs",
         (tmp_path / "server-blobs").as_uri(), "--api-key", KEY, "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        servers.wait_for_health(url, 60, alive=lambda: proc.poll() is None,
                                log=lambda: (tmp_path / "server.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def sync(data_dir: Path, url: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
    env["TRACKLET_API_KEY"] = KEY
    done = subprocess.run([sys.executable, "-m", "tracklet.cli.main", "--dir", str(data_dir),
                           "sync", "--host", url], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def offline(data_dir: Path) -> tracklet.Run:
    return tracklet.init(project="proj", entity="alice", dir=data_dir, mode="offline",
                         settings=OFFLINE, reinit=True)


def test_offline_artifacts_sync_with_aliases_and_lineage(server: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "offline"
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_text("1,2\n")
    (src / "b.csv").write_text("3,4\n")

    producer = offline(data_dir)
    first = tracklet.Artifact("ds", "dataset", description="raw", metadata={"rows": 2})
    first.add_dir(src)
    producer.log_artifact(first, aliases=["best"]).wait()
    (src / "b.csv").write_text("3,5\n")
    second = tracklet.Artifact("ds", "dataset")
    second.add_dir(src)
    producer.log_artifact(second, aliases=["best"]).wait()  # "best" moves to v1
    assert (first.version, second.version) == ("v0", "v1")
    producer.finish()

    consumer = offline(data_dir)
    used = consumer.use_artifact("ds:v0")  # logged offline in this directory: it works
    assert (Path(used.download(tmp_path / "used")) / "b.csv").read_text() == "3,4\n"
    with pytest.raises(errors.NotFoundError, match=r"ds:v9.*only artifacts logged in the data"):
        consumer.use_artifact("ds:v9")
    preds = tracklet.Artifact("preds", "predictions")
    with preds.new_file("p.txt") as f:
        f.write("yes")
    consumer.log_artifact(preds, aliases=["prod"]).wait()
    consumer.finish()

    api = tracklet.Api(server, api_key=KEY)
    with pytest.raises(errors.NotFoundError):  # nothing is on the server before the sync
        api.artifact("alice/proj/ds:latest")

    out = sync(data_dir, server)
    assert "3 artifact versions (3 new" in out, out

    versions = api.artifact_versions("dataset", "alice/proj/ds")
    assert [(v.version, sorted(v.aliases)) for v in versions] == \
        [("v0", []), ("v1", ["best", "latest"])]
    v0 = api.artifact("alice/proj/ds:v0")
    assert (v0.description, v0.metadata) == ("raw", {"rows": 2})
    assert v0.logged_by == f"alice/proj/{producer.id}"
    assert v0.used_by() == [f"alice/proj/{consumer.id}"]
    best = Path(api.artifact("alice/proj/ds:best").download(tmp_path / "best"))
    assert (best / "b.csv").read_text() == "3,5\n" and (best / "a.csv").read_text() == "1,2\n"
    made = api.artifact("alice/proj/preds:prod")
    assert made.logged_by == f"alice/proj/{consumer.id}"
    assert (Path(made.download(tmp_path / "p")) / "p.txt").read_text() == "yes"

    again = sync(data_dir, server)  # nothing new: no version, alias or usage added
    assert "3 artifact versions (up to date; 0 files" in again, again
    assert [v.version for v in api.artifact_versions("dataset", "alice/proj/ds")] == \
        ["v0", "v1"]
    assert api.artifact("alice/proj/ds:v0").used_by() == [f"alice/proj/{consumer.id}"]
