"""``add_reference`` to objects on a real S3 server (SeaweedFS) and over HTTP: recorded
with their ETag, downloaded from where they are, refused once they changed."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

import tracklet
from tracklet import errors

QUIET = {"system_metrics": False, "console_capture": False}


pytestmark = pytest.mark.usefixtures("clean_session")


def test_s3_references(s3_bucket: str, s3_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="sets/train/a.csv", Body=b"a,1\n")
    client.put_object(Bucket=s3_bucket, Key="sets/train/b.csv", Body=b"b,2\n")
    client.put_object(Bucket=s3_bucket, Key="one.bin", Body=b"\x00\x01")
    run = tracklet.init(project="p", entity="e", dir=tmp_path / "d", settings=QUIET)
    art = tracklet.Artifact("remote", "dataset")
    art.add_reference(f"s3://{s3_bucket}/sets/train", name="train")
    art.add_reference(f"s3://{s3_bucket}/one.bin")
    run.log_artifact(art).wait()
    assert [(e.path, e.size, e.ref) for e in art.manifest()] == [
        ("one.bin", 2, f"s3://{s3_bucket}/one.bin"),
        ("train/a.csv", 4, f"s3://{s3_bucket}/sets/train/a.csv"),
        ("train/b.csv", 4, f"s3://{s3_bucket}/sets/train/b.csv")]
    assert all((e.extra or {}).get("etag") for e in art.manifest())
    out = Path(run.use_artifact("remote:latest").download(tmp_path / "out"))
    assert (out / "train" / "b.csv").read_bytes() == b"b,2\n"
    client.put_object(Bucket=s3_bucket, Key="one.bin", Body=b"changed")
    with pytest.raises(errors.ConflictError, match="ETag differs"):
        run.use_artifact("remote:latest").download(tmp_path / "out2")
    with pytest.raises(errors.ValidationError, match="no such object or prefix"):
        tracklet.Artifact("x", "dataset").add_reference(f"s3://{s3_bucket}/nothing-here")


def test_http_reference_without_and_with_checksum(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "model.txt").write_text("weights v1")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = lambda *a: Quiet(*a, directory=str(site))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/model.txt"
        run = tracklet.init(project="p", entity="e", dir=tmp_path / "d", settings=QUIET)
        art = tracklet.Artifact("web", "model")
        art.add_reference(url)
        art.add_reference(url, name="copy.txt", checksum=False)
        run.log_artifact(art).wait()
        entries = {e.path: e for e in art.manifest()}
        assert entries["model.txt"].size == 10 and entries["copy.txt"].size is None
        out = Path(run.use_artifact("web:latest").download(tmp_path / "out"))
        assert (out / "model.txt").read_text() == "weights v1"
        assert (out / "copy.txt").read_text() == "weights v1"
        with pytest.raises(errors.ValidationError, match="answered HTTP 404"):
            tracklet.Artifact("x", "model").add_reference(url + ".missing")
        with pytest.raises(errors.ValidationError, match="cannot reference"):
            tracklet.Artifact("x", "model").add_reference("ftp://host/file")
    finally:
        server.shutdown()
        server.server_close()
