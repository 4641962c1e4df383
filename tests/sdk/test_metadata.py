"""collect_metadata against real git repositories in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tracklet.sdk.metadata import collect_metadata, strip_credentials


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Ignore the developer's git config, and never find a repository above tmp_path."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setitem(sys.modules, "pynvml", None)  # no GPU, whatever this machine has


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def make_repo(path: Path, *, commit: bool = True) -> Path:
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    git(path, "config", "commit.gpgsign", "false")
    (path / "train.py").write_text("lr = 0.1\n")
    if commit:
        git(path, "add", "train.py")
        git(path, "commit", "--quiet", "-m", "first")
    return path


def test_git_repo_with_changes_and_credentials_in_remote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    git(repo, "remote", "add", "origin", "https://user:secret@example.com/x.git")
    (repo / "train.py").write_text("lr = 0.1\nmomentum = 0.9\n")

    meta = collect_metadata(cwd=str(repo))

    info = meta["git"]
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert info["branch"] == "main"
    assert info["remote"] == "https://example.com/x.git"
    assert info["dirty"] is True
    assert "+momentum = 0.9" in info["diff"]
    assert Path(info["root"]).resolve() == repo.resolve()
    serialised = json.dumps(meta)
    assert "secret" not in serialised


def test_clean_repo_from_a_subdirectory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    (repo / "sub").mkdir()
    meta = collect_metadata(cwd=str(repo / "sub"))
    assert meta["git"]["dirty"] is False
    assert meta["git"]["diff"] == ""
    assert meta["git"]["remote"] is None
    assert Path(meta["git"]["root"]).resolve() == repo.resolve()
    assert meta["cwd"] == str(repo / "sub")


def test_repo_without_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "fresh", commit=False)
    git(repo, "add", "train.py")
    info = collect_metadata(cwd=str(repo))["git"]
    assert info["commit"] is None
    assert info["branch"] == "main"
    assert info["dirty"] is True
    assert "+lr = 0.1" in info["diff"]


def test_detached_head_has_no_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    git(repo, "checkout", "--quiet", "--detach")
    info = collect_metadata(cwd=str(repo))["git"]
    assert info["branch"] is None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")


def test_large_diff_is_truncated_with_a_note(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    (repo / "train.py").write_text("".join(f"line {i}\n" for i in range(50_000)))
    diff = collect_metadata(cwd=str(repo), max_diff_bytes=2000)["git"]["diff"]
    assert "truncated" in diff
    assert len(diff.encode()) < 2200


def test_outside_a_repo_there_is_no_git_key(tmp_path: Path) -> None:
    meta = collect_metadata(cwd=str(tmp_path), argv=["train.py", "--lr", "0.1"])
    assert "git" not in meta
    assert meta["argv"] == ["train.py", "--lr", "0.1"]
    assert meta["cwd"] == str(tmp_path)


def test_git_missing_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "proj")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert "git" not in collect_metadata(cwd=str(repo))


def test_host_and_process_fields(tmp_path: Path) -> None:
    meta = collect_metadata(cwd=str(tmp_path))
    json.dumps(meta)  # JSON-serialisable as is
    assert meta["pid"] == os.getpid()
    assert meta["python"] == ".".join(str(n) for n in sys.version_info[:3])
    assert meta["executable"] == sys.executable
    assert meta["argv"] == sys.argv
    assert meta["cpu_count"] >= 1
    assert meta["memory_total_mb"] > 0
    assert 0 < meta["process_start_time"] <= __import__("time").time()
    assert isinstance(meta["host"], str) and isinstance(meta["os"], str)
    assert "gpu" not in meta


def test_gpu_names_from_nvml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [b"NVIDIA H100 80GB HBM3", "NVIDIA A10G"]  # older pynvml returns bytes
    fake = types.ModuleType("pynvml")
    fake.nvmlInit = lambda: None  # type: ignore[attr-defined]
    fake.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    fake.nvmlDeviceGetCount = lambda: len(names)  # type: ignore[attr-defined]
    fake.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    fake.nvmlDeviceGetName = lambda h: names[h]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    meta = collect_metadata(cwd=str(tmp_path))
    assert meta["gpu"] == ["NVIDIA H100 80GB HBM3", "NVIDIA A10G"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:secret@example.com/x.git", "https://example.com/x.git"),
        ("https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git:pw@host:2222/r.git", "ssh://git@host:2222/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected
