"""Host, process and git metadata recorded with a run.

`collect_metadata()` returns plain JSON-serialisable data and never raises: a value that
cannot be read is None, and the `git` / `gpu` entries are absent when there is no git
repository or no NVIDIA GPU. It runs `git` a few times (each bounded by a timeout), so call
it off the training thread.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["collect_metadata", "strip_credentials"]

_MB = 1024.0 * 1024.0
_GIT_TIMEOUT_S = 5.0
# Keep git from prompting or taking index.lock (`git status` refreshes the index otherwise)
# (the diff also passes --no-ext-diff and --no-color).
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


def collect_metadata(
    *,
    cwd: str | None = None,
    argv: list[str] | None = None,
    max_diff_bytes: int = 1_000_000,
) -> dict[str, Any]:
    """Describe this process, its machine and (when `cwd` is in a git work tree) the code.

    Keys: host, os, python, executable, argv, cwd, pid, process_start_time (unix seconds),
    user, cpu_count, memory_total_mb; `git` = {commit, branch, remote, dirty, diff, root}
    (remote without credentials; diff = `git diff HEAD`, cut to `max_diff_bytes`);
    `gpu` = list of GPU names.
    """
    workdir = os.path.abspath(cwd if cwd is not None else _safe(os.getcwd, "."))
    meta: dict[str, Any] = {
        "host": _safe(socket.gethostname, None),
        "os": _safe(platform.platform, None),
        "python": platform.python_version(),
        "executable": sys.executable,
        "argv": list(sys.argv if argv is None else argv),
        "cwd": workdir,
        "pid": os.getpid(),
        "process_start_time": None,
        "user": _safe(getpass.getuser, None),
        "cpu_count": os.cpu_count(),
        "memory_total_mb": None,
    }
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        pass
    else:
        meta["process_start_time"] = _safe(lambda: float(psutil.Process().create_time()), None)
        meta["memory_total_mb"] = _safe(lambda: psutil.virtual_memory().total / _MB, None)
    git = _git_info(workdir, max_diff_bytes)
    if git is not None:
        meta["git"] = git
    gpus = _gpu_names()
    if gpus:
        meta["gpu"] = gpus
    return meta


def strip_credentials(url: str) -> str:
    """A remote URL without any password, and for http(s) without the user (often a token).

    >>> strip_credentials("https://user:secret@example.com/x.git")
    'https://example.com/x.git'
    """
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url  # scp-like "git@host:path" or a local path: nothing secret in it
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}@{hostport}" if parts.scheme in _SSH_SCHEMES and user else hostport
    return urlunsplit(parts._replace(netloc=netloc))


def _safe(func: Callable[[], Any], default: Any) -> Any:
    try:
        return func()
    except Exception:
        return default


def _git_info(cwd: str, max_diff_bytes: int) -> dict[str, Any] | None:
    root = _git(cwd, "rev-parse", "--show-toplevel")
    if not root:
        return None  # not a work tree, git missing, or git refuses (e.g. dubious ownership)
    commit = _git(cwd, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    remote = _git(cwd, "remote", "get-url", "origin")
    # With no commit yet, the staged files are the change.
    diff_args = ["diff", "HEAD"] if commit else ["diff", "--cached"]
    if status is None:
        dirty, diff = None, None
    elif status:
        dirty, diff = True, _git_diff(cwd, diff_args, max_diff_bytes)
    else:
        dirty, diff = False, ""
    return {
        "commit": commit,
        # None when HEAD is detached
        "branch": _git(cwd, "symbolic-ref", "--short", "--quiet", "HEAD") or None,
        "remote": strip_credentials(remote) if remote else None,
        "dirty": dirty,
        "diff": diff,
        "root": root,
    }


def _git_command(cwd: str, args: list[str]) -> list[str]:
    return ["git", "-C", cwd, "--no-pager", *args]


def _git_env() -> dict[str, str]:
    return {**os.environ, **_GIT_ENV}


def _git(cwd: str, *args: str) -> str | None:
    """Stripped stdout of a git command; None if it fails, times out or git is missing."""
    try:
        proc = subprocess.run(
            _git_command(cwd, list(args)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            env=_git_env(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace").strip()


def _git_diff(cwd: str, args: list[str], max_bytes: int) -> str | None:
    """The diff text, reading at most `max_bytes` (+1) bytes of it, then a truncation note."""
    command = _git_command(cwd, [*args, "--no-color", "--no-ext-diff"])
    max_bytes = max(0, max_bytes)
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_git_env(),
        )
    except OSError:
        return None
    timed_out = threading.Event()

    def kill_on_timeout() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(_GIT_TIMEOUT_S, kill_on_timeout)
    timer.daemon = True
    timer.start()
    try:
        assert proc.stdout is not None
        with proc.stdout:
            data = proc.stdout.read(max_bytes + 1)
            truncated = len(data) > max_bytes
            if truncated:
                proc.kill()  # the rest is not needed; don't let git block on a full pipe
        returncode = proc.wait()
    finally:
        timer.cancel()
    if not truncated and (returncode != 0 or timed_out.is_set()):
        return None
    text = data[:max_bytes].decode("utf-8", "replace")
    if truncated:
        text += f"\n[tracklet: diff truncated to the first {max_bytes} bytes]\n"
    return text


def _gpu_names() -> list[str]:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return []
    names: list[str] = []
    try:
        for i in range(int(pynvml.nvmlDeviceGetCount())):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            names.append(name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name))
    except Exception:
        pass
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
    return names
