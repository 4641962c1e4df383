"""`tracklet artifact put/get/ls/rm`, `tracklet cache clean` and `tracklet gc`, in the data
directory and against a real server (CliRunner, in process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from artifact_servers import KEY, ThreadServer
from click.testing import CliRunner, Result

from tracklet.cli.main import main
from tracklet.sdk.artifacts.client import reset_contexts


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("TRACKLET_") and name != "TRACKLET_CONFIG_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRACKLET_ENTITY", "alice")
    monkeypatch.chdir(tmp_path)
    yield
    reset_contexts()


def cli(data_dir: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def make(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    return root


def test_put_get_ls_rm_gc_locally(tmp_path: Path) -> None:
    data_dir = tmp_path / "tracklet"
    src = make(tmp_path / "src")
    put = cli(data_dir, "artifact", "put", str(src), "--name", "ds", "--alias", "raw",
              "-p", "proj")
    assert "alice/proj/ds:v0 (latest, raw): 2 files" in put.output
    assert "uploaded 2" in put.output
    again = cli(data_dir, "artifact", "put", str(src), "--name", "ds", "-p", "proj")
    assert "alice/proj/ds:v0" in again.output and "uploaded 0" in again.output
    (src / "a.txt").write_text("changed")
    cli(data_dir, "artifact", "put", str(src), "--name", "ds", "-p", "proj")
    listing = cli(data_dir, "artifact", "ls", "alice/proj").output
    assert "ds (dataset, 2 versions)" in listing
    assert "v0 [raw]  2 files" in listing and "v1 [latest]  2 files" in listing
    got = cli(data_dir, "artifact", "get", "ds:raw", "-p", "proj", "--root",
              str(tmp_path / "out"), "--verify")
    assert got.stdout.strip() == str(tmp_path / "out")
    assert files(tmp_path / "out") == {"a.txt": b"alpha", "sub/b.txt": b"beta"}
    missing = cli(data_dir, "artifact", "get", "nope:latest", "-p", "proj", code=1)
    assert "no artifact alice/proj/nope:latest" in missing.output

    assert "would delete 0 unused blobs" in cli(data_dir, "gc").output
    assert "deleted alice/proj/ds:v0" in cli(data_dir, "artifact", "rm", "ds:v0",
                                             "-p", "proj").output
    assert "would delete 0 unused blobs" in cli(data_dir, "gc").output  # too young
    dry = cli(data_dir, "gc", "--min-age", "0").output
    assert "would delete 1 unused blobs (5 bytes)" in dry
    assert "deleted 1 unused blobs (5 bytes)" in cli(data_dir, "gc", "--delete",
                                                     "--min-age", "0").output
    assert "would delete 0 unused blobs" in cli(data_dir, "gc", "--min-age", "0").output
    cli(data_dir, "artifact", "get", "ds:latest", "-p", "proj", "--root",
        str(tmp_path / "out2"), "--verify")  # the remaining version is whole
    assert files(tmp_path / "out2") == {"a.txt": b"changed", "sub/b.txt": b"beta"}


def test_against_a_server_with_a_bounded_cache(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLET_API_KEY", KEY)
    data_dir = tmp_path / "tracklet"
    src = tmp_path / "src"
    src.mkdir()
    (src / "w.bin").write_bytes(b"x" * 3000)
    (src / "v.bin").write_bytes(b"y" * 2000)
    with ThreadServer(tmp_path / "server.db", blobs=(tmp_path / "blobs").as_uri()) as server:
        cli(data_dir, "artifact", "put", str(src), "-n", "model", "-t", "model", "-p", "proj",
            "--host", server.base_url)
        assert "model (model, 1 versions)" in cli(
            data_dir, "artifact", "ls", "proj", "--host", server.base_url).output
        cli(data_dir, "artifact", "get", "alice/proj/model:latest", "--root",
            str(tmp_path / "out"), "--host", server.base_url)
        assert files(tmp_path / "out") == {"v.bin": b"y" * 2000, "w.bin": b"x" * 3000}
        cached = data_dir / "cache" / "blobs"
        assert sum(p.stat().st_size for p in cached.rglob("*") if p.is_file()) == 5000
        dry = cli(data_dir, "cache", "clean", "--max-size", "4KB", "--dry-run").output
        assert "would remove 1 files" in dry
        assert "removed 1 files" in cli(data_dir, "cache", "clean", "--max-size", "4KB").output
        assert sum(p.stat().st_size for p in cached.rglob("*") if p.is_file()) <= 4000
        bad = cli(data_dir, "cache", "clean", "--max-size", "lots", code=1)
        assert "is not a size" in bad.output
        refused = cli(data_dir, "gc", "--host", server.base_url, "--delete")  # static key
        assert "deleted 0 unused blobs" in refused.output
