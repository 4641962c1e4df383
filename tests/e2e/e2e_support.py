"""Helpers for end-to-end tests: real training subprocesses and what they left behind.

Children are ``tests/e2e/helpers/train.py`` run with ``sys.executable``; they use only the
public SDK. Tests synchronise on what a child prints (``Child.expect``) or on files
(``wait_until``), always with a deadline, never with a bare sleep.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tracklet
from tracklet.errors import NotFoundError
from tracklet.store.base import RunRef

HELPERS = Path(__file__).parent / "helpers"
TRAIN = HELPERS / "train.py"


def _load_workload() -> Any:
    spec = importlib.util.spec_from_file_location("tracklet_e2e_workload",
                                                  HELPERS / "workload.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


workload = _load_workload()
KEYS: list[str] = workload.KEYS
metric_value: Callable[[int, int], float] = workload.metric_value


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child: no ambient TRACKLET_* settings, a private data dir,
    no system metrics or console capture (unless ``extra`` says otherwise)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}
    env.update({
        "TRACKLET_DIR": str(data_dir),
        "TRACKLET_PROJECT": "e2e",
        "TRACKLET_SYSTEM_METRICS": "false",
        "TRACKLET_CONSOLE_CAPTURE": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)  # poll interval, not a synchronisation point


class Child:
    """A training subprocess whose stdout is read line by line as it comes."""

    def __init__(self, args: Sequence[str], *, env: dict[str, str], cwd: Path,
                 stdin: bool = False, script: Path = TRAIN) -> None:
        self.args = [sys.executable, str(script), *args]
        self.proc = subprocess.Popen(
            self.args, env=env, cwd=cwd, text=True, bufsize=1,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True),
                             daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False),
                             daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _pump(self, stream: Any, sink: list[str], feed: bool) -> None:
        for line in stream:
            line = line.rstrip("\n")
            sink.append(line)
            if feed:
                self._lines.put(line)
        if feed:
            self._lines.put(None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def next_line(self, deadline: float) -> str | None:
        """The next stdout line, None at end of output; fails at ``deadline``."""
        left = deadline - time.monotonic()
        try:
            return self._lines.get(timeout=max(left, 0.0))
        except queue.Empty:
            raise AssertionError(f"no output from the child within the deadline\n"
                                 f"{self.describe()}") from None

    def expect(self, predicate: Callable[[str], bool], timeout: float, what: str) -> str:
        """Read stdout until a line satisfies ``predicate``; return that line."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next_line(deadline)
            if line is None:
                raise AssertionError(f"the child ended before printing {what}\n"
                                     f"{self.describe()}")
            if predicate(line):
                return line

    def expect_prefix(self, prefix: str, timeout: float = 20.0) -> str:
        return self.expect(lambda line: line.startswith(prefix), timeout, repr(prefix))

    def run_path(self, timeout: float = 20.0) -> str:
        return self.expect_prefix("run ", timeout).split()[1]

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the child to exit and for its output to be read; the exit status."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the child did not exit within {timeout} s\n"
                                 f"{self.describe()}") from None
        for t in self._readers:
            t.join(timeout)
        return code

    def rest_of_stdout(self) -> list[str]:
        """Lines not consumed by ``expect`` yet (call after ``wait``)."""
        out = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return out
            if line is None:
                return out
            out.append(line)

    def describe(self) -> str:
        tail_out = "\n".join(self.stdout[-5:])
        tail_err = "\n".join(self.stderr[-30:])
        return (f"child {self.args} (pid {self.proc.pid}, returncode {self.proc.returncode})"
                f"\n--- stdout (tail) ---\n{tail_out}\n--- stderr (tail) ---\n{tail_err}")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for t in self._readers:
            t.join(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def run_is_stored(data_dir: Path, path: str) -> bool:
    """Whether the run and its metadata (pid, host) reached the local store in
    ``data_dir``; reads the store directly, so it marks nothing crashed."""
    if not (data_dir / "tracklet.db").exists():
        return False
    try:
        with tracklet.Api(data_dir) as api:
            return "pid" in api.store.get_run(RunRef(*path.split("/"))).metadata
    except NotFoundError:
        return False


def warning_lines(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if "tracklet: WARNING" in line]
