"""Capture of `sys.stdout`/`sys.stderr` as timestamped lines, written through to the terminal.

`ConsoleCapture.start()` swaps both streams for proxies. Each write goes to the original
stream at once, then is cut into lines the way a terminal shows them: a carriage return
moves back to the start of the line and later text overwrites it (so a progress bar that
redraws itself a thousand times becomes one line, in its final state), and a newline
completes the line (``\\r\\n`` included). Every completed line goes to
``emit(stream_name, line, unix_time)``. Attributes the proxy does not define (`fileno`,
`isatty`, `encoding`, `buffer`, ...) come from the original stream.

Known limits: bytes written to `sys.stdout.buffer` or straight to file descriptor 1/2 (C
extensions, subprocesses) are not captured; a partial line is emitted only once it ends or
at `stop()`.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TextIO, cast

__all__ = ["ConsoleCapture"]

_CONTROL = re.compile(r"(\r|\n)")
_TRUNCATED = " [tracklet: line truncated]"


class _LineSplitter:
    """Turns written text into completed lines, applying carriage returns like a terminal."""

    def __init__(self, max_line: int) -> None:
        self._max_line = max_line
        self._line = ""
        self._col = 0
        self._truncated = False

    def feed(self, text: str) -> list[str]:
        lines: list[str] = []
        for part in _CONTROL.split(text):
            if part == "\n":
                lines.append(self._take())
            elif part == "\r":
                self._col = 0
            elif part:
                self._put(part)
        return lines

    def flush(self) -> str | None:
        """The pending partial line, if any, as a completed line."""
        if not self._line and not self._truncated:
            self._col = 0
            return None
        return self._take()

    def _put(self, part: str) -> None:
        col = self._col
        self._col = col + len(part)
        room = self._max_line - col
        if room <= 0:
            self._truncated = True
            return
        if len(part) > room:
            part = part[:room]
            self._truncated = True
        line = self._line
        if col == len(line):
            self._line = line + part
        else:
            self._line = line[:col] + part + line[col + len(part) :]

    def _take(self) -> str:
        line = self._line + _TRUNCATED if self._truncated else self._line
        self._line, self._col, self._truncated = "", 0, False
        return line


class _StreamProxy:
    """Stands in for sys.stdout or sys.stderr; see the module docstring."""

    def __init__(self, original: TextIO, name: str, owner: ConsoleCapture) -> None:
        self._original = original
        self._name = name
        self._owner = owner
        self._splitter = _LineSplitter(owner.max_line)
        # Reentrant: a signal handler that prints while this thread is inside write() must
        # not deadlock.
        self._lock = threading.RLock()
        self.active = True

    @property
    def original(self) -> TextIO:
        return self._original

    def write(self, text: str) -> int:
        owner = self._owner
        if not self.active or owner.in_emit():
            return self._original.write(text)
        with self._lock:
            written = self._original.write(text)
            try:
                lines = self._splitter.feed(text)
            except Exception:
                owner.report_error()
                return written
            now = time.time() if lines else 0.0
        if lines:
            for line in lines:
                owner.deliver(self._name, line, now)
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._original.flush()

    def close_capture(self) -> None:
        """Stop capturing (the proxy keeps passing writes through) and emit the tail."""
        with self._lock:
            self.active = False
            tail = self._splitter.flush()
        if tail is not None:
            self._owner.deliver(self._name, tail, time.time())

    def __getattr__(self, name: str) -> Any:
        if name == "_original":  # not set yet (copy, unpickling): avoid endless recursion
            raise AttributeError(name)
        return getattr(self._original, name)

    def __repr__(self) -> str:
        return f"<tracklet console proxy for {self._original!r}>"


class ConsoleCapture:
    """Captures printed lines of this process, passing them to `emit` with their end time.

    `emit` is called on the thread that completed the line and must be cheap (e.g. put on a
    queue). An exception from `emit` never reaches the caller of `print`: it is counted
    (`error_count`) and reported by one `RuntimeWarning`.
    """

    def __init__(self, emit: Callable[[str, str, float], None], *, max_line: int = 16384) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be at least 1, got {max_line!r}")
        self.max_line = max_line
        self._emit = emit
        self._local = threading.local()
        self._stdout: _StreamProxy | None = None
        self._stderr: _StreamProxy | None = None
        self._count_lock = threading.Lock()
        self._error_count = 0
        self._warned = False

    @property
    def error_count(self) -> int:
        """How many lines were lost because `emit` (or the capture itself) raised."""
        return self._error_count

    def start(self) -> None:
        """Install the proxies on sys.stdout and sys.stderr. Does nothing if already started."""
        if self._stdout is not None:
            return
        self._stdout = _StreamProxy(sys.stdout, "stdout", self)
        self._stderr = _StreamProxy(sys.stderr, "stderr", self)
        sys.stdout = cast(TextIO, self._stdout)
        sys.stderr = cast(TextIO, self._stderr)

    def stop(self) -> None:
        """Emit pending partial lines; put the original streams back if ours are still there.

        If someone replaced sys.stdout/sys.stderr after `start()` (pytest's capsys, another
        tool), their stream stays; our proxy, wherever it is still referenced, just passes
        writes through from now on.
        """
        stdout, stderr = self._stdout, self._stderr
        self._stdout = self._stderr = None
        if stdout is not None:
            stdout.close_capture()
            if sys.stdout is cast(TextIO, stdout):
                sys.stdout = stdout.original
        if stderr is not None:
            stderr.close_capture()
            if sys.stderr is cast(TextIO, stderr):
                sys.stderr = stderr.original

    # -- used by the proxies -----------------------------------------------------------------

    def in_emit(self) -> bool:
        return bool(getattr(self._local, "in_emit", False))

    def deliver(self, stream: str, line: str, when: float) -> None:
        """Call emit; text printed from inside emit is passed through but not captured."""
        outer = self.in_emit()
        self._local.in_emit = True
        try:
            self._emit(stream, line, when)
        except Exception:
            self.report_error()
        finally:
            self._local.in_emit = outer

    def report_error(self) -> None:
        with self._count_lock:
            self._error_count += 1
            if self._warned:
                return
            self._warned = True
        outer = self.in_emit()
        self._local.in_emit = True  # the warning text itself must not be captured
        try:
            warnings.warn(
                "tracklet console capture could not record a line; output is still printed "
                "but some lines are missing from the run (reported once)",
                RuntimeWarning,
                stacklevel=4,
            )
        except Exception:
            pass  # warnings configured as errors: never raise into the user's print()
        finally:
            self._local.in_emit = outer
