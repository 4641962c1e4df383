"""Artifacts in local mode (no server): versions, dedup, aliases, lineage, download, verify,
hostile names; everything read back through the public SDK."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tracklet
from tracklet import errors
from tracklet.sdk.artifacts import ArtifactCorruptedError
from tracklet.sdk.artifacts.client import reset_contexts

QUIET = {"system_metrics": False, "console_capture": False}


@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("TRACKLET_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    while tracklet.run is not None:
        tracklet.finish()
    yield
    while tracklet.run is not None:
        tracklet.finish()
    reset_contexts()


def start(tmp_path: Path, **kwargs: Any) -> tracklet.Run:
    kwargs.setdefault("project", "proj")
    kwargs.setdefault("entity", "alice")
    kwargs.setdefault("settings", QUIET)
    return tracklet.init(dir=tmp_path / "data", **kwargs)


def make_dataset(root: Path, n: int = 5) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"part-{i}.csv").write_text(f"id,value\n{i},{i * i}\n")
    (root / "nested").mkdir(exist_ok=True)
    (root / "nested" / "readme.txt").write_text("hello")
    return root


def test_log_use_download_roundtrip(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "src")
    run = start(tmp_path)
    art = tracklet.Artifact("mnist", type="dataset", description="digits",
                            metadata={"rows": 6})
    art.add_dir(data)
    with art.new_file("notes/info.txt") as f:
        f.write("made by new_file")
    logged = run.log_artifact(art, aliases=["best"])
    assert logged is art
    art.wait()
    assert art.version == "v0"
    assert sorted(art.aliases) == ["best", "latest"]
    assert art.logged_by == f"alice/proj/{run.id}"
    run.finish()

    reader = start(tmp_path)
    used = reader.use_artifact("mnist:best", type="dataset")
    assert used.version == "v0" and used.metadata == {"rows": 6}
    assert used.description == "digits"
    out = Path(used.download(tmp_path / "out"))
    assert (out / "part-3.csv").read_text() == "id,value\n3,9\n"
    assert (out / "nested" / "readme.txt").read_text() == "hello"
    assert (out / "notes" / "info.txt").read_text() == "made by new_file"
    used.verify(out)
    assert used.get_path("nested/readme.txt").size == 5
    assert used.used_by() == [f"alice/proj/{reader.id}"]
    reader.finish()

    api = tracklet.Api(tmp_path / "data", overrides={"entity": "alice", "project": "proj"})
    fetched = api.artifact("alice/proj/mnist:latest")
    assert fetched.version == "v0"
    assert [a.version for a in api.artifact_versions("dataset", "alice/proj/mnist")] == ["v0"]


def test_same_content_same_version_and_latest_moves(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "src")
    run = start(tmp_path)
    first = tracklet.Artifact("ds", "dataset")
    first.add_dir(data)
    run.log_artifact(first).wait()
    again = tracklet.Artifact("ds", "dataset")
    again.add_dir(data)
    run.log_artifact(again).wait()
    assert (first.version, again.version) == ("v0", "v0")
    assert again.stats is not None and again.stats.transferred_files == 0
    (data / "part-0.csv").write_text("changed\n")
    third = tracklet.Artifact("ds", "dataset")
    third.add_dir(data)
    run.log_artifact(third, aliases=["prod"]).wait()
    assert third.version == "v1"
    assert third.stats is not None
    assert (third.stats.transferred_files, third.stats.reused_files) == (1, 5)
    assert sorted(third.aliases) == ["latest", "prod"]
    assert run.use_artifact("ds:v0").aliases == []
    # aliases are unique per collection and can be moved
    old = run.use_artifact("ds:v0")
    old.add_alias("prod")
    assert run.use_artifact("ds:prod").version == "v0"
    assert run.use_artifact("ds:v1").aliases == ["latest"]
    run.finish()


def test_finish_waits_for_pending_uploads(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "src", n=50)
    start(tmp_path)
    tracklet.log_artifact(str(data), name="folder", type="dataset")
    tracklet.finish()
    api = tracklet.Api(tmp_path / "data")
    art = api.artifact("alice/proj/folder:latest")
    assert len(art.manifest()) == 51


def test_corrupted_blob_is_detected_and_named(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "src")
    run = start(tmp_path)
    art = tracklet.Artifact("ds", "dataset")
    art.add_dir(data)
    run.log_artifact(art).wait()
    digest = art.get_path("part-2.csv").digest
    assert digest is not None
    blob = tmp_path / "data" / "artifacts" / "blobs" / "sha256" / digest[:2] / digest[2:4] \
        / digest
    blob.write_text("evil")
    with pytest.raises(ArtifactCorruptedError, match=r"part-2\.csv"):
        run.use_artifact("ds:latest").download(tmp_path / "out")
    # a downloaded file changed afterwards fails verify, with its path named
    blob.write_text("id,value\n2,4\n")
    used = run.use_artifact("ds:latest")
    out = Path(used.download(tmp_path / "out2"))
    (out / "part-1.csv").write_text("tampered")
    with pytest.raises(ArtifactCorruptedError, match=r"part-1\.csv"):
        used.verify(out)
    run.finish()


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", "a\x00b",
                                 "x" * 300, "a\\b", ""])
def test_names_that_escape_are_rejected(tmp_path: Path, bad: str) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    art = tracklet.Artifact("ok", "dataset")
    with pytest.raises(errors.ValidationError, match="artifact file path"):
        art.add_file(src, name=bad)


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "n" * 129, "a\x00"])
def test_bad_artifact_names_are_rejected(bad: str) -> None:
    with pytest.raises(errors.ValidationError, match="artifact name"):
        tracklet.Artifact(bad, "dataset")


def test_unknown_version_and_wrong_type(tmp_path: Path) -> None:
    run = start(tmp_path)
    with pytest.raises(errors.NotFoundError, match="nope:latest"):
        run.use_artifact("nope:latest")
    art = tracklet.Artifact("m", "model")
    with art.new_file("w.bin", mode="wb") as f:
        f.write(b"\x00\x01")
    run.log_artifact(art).wait()
    with pytest.raises(errors.ValidationError, match="type 'model', not 'dataset'"):
        run.use_artifact("m:latest", type="dataset")
    other = tracklet.Artifact("m", "dataset")
    with other.new_file("x.txt") as f:
        f.write("x")
    run.log_artifact(other)
    with pytest.raises(errors.ConflictError, match="of type 'model'"):
        other.wait()
    run.finish()


def test_file_reference_with_checksum(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    target.write_bytes(b"referenced")
    run = start(tmp_path)
    art = tracklet.Artifact("refs", "dataset")
    art.add_reference(target.as_uri())
    run.log_artifact(art).wait()
    used = run.use_artifact("refs:latest")
    out = Path(used.download(tmp_path / "out"))
    assert (out / "big.bin").read_bytes() == b"referenced"
    target.write_bytes(b"changed!!!")
    with pytest.raises(errors.ConflictError, match="changed since it was logged"):
        run.use_artifact("refs:latest").download(tmp_path / "out2")
    run.finish()


def test_use_before_init_is_a_clear_error() -> None:
    with pytest.raises(errors.NotInitializedError, match=r"tracklet\.init"):
        tracklet.use_artifact("x:latest")


def test_download_never_writes_through_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text("x")
    run = start(tmp_path)
    art = tracklet.Artifact("ds", "dataset")
    art.add_dir(src)
    run.log_artifact(art).wait()
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "sub").symlink_to(outside)
    with pytest.raises(errors.ValidationError, match="outside"):
        run.use_artifact("ds:latest").download(root)
    assert list(outside.iterdir()) == []
    run.finish()


def test_log_artifact_returns_before_the_files_are_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from tracklet.sdk.artifacts.backend import LocalBackend

    gate = threading.Event()
    real = LocalBackend.ingest_file

    def held(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert gate.wait(30)  # fault injection: storage stalls until the test lets go
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LocalBackend, "ingest_file", held)
    data = make_dataset(tmp_path / "src")
    run = start(tmp_path)
    art = run.log_artifact(str(data), name="stalled", type="dataset")
    assert art.state == "PENDING"  # the training loop got control back
    run.log({"loss": 1.0})
    gate.set()
    assert art.wait().state == "COMMITTED" and art.version == "v0"
    run.finish()
