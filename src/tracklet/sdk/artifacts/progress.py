"""A byte progress bar in the terminal (rich), or nothing when stderr is not a terminal."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any


class ByteProgress:
    """``with ByteProgress("uploading", total) as bar: bar.advance(n)`` (thread-safe)."""

    def __init__(self, label: str, total: int, *, enabled: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ByteProgress:
        if self.enabled and self.total > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      DownloadColumn(), TransferSpeedColumn(),
                                      TimeRemainingColumn(), transient=True,
                                      console=Console(stderr=True))
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int) -> None:
        if self._progress is not None:
            with self._lock:
                self._progress.advance(self._task, n)

    def second(self, label: str) -> ProgressTask:
        """Another bar under this one, shown once work is found for it (``grow``)."""
        return ProgressTask(self, label)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class ProgressTask:
    """A bar of a ``ByteProgress`` display whose total grows (``grow``)."""

    def __init__(self, owner: ByteProgress, label: str) -> None:
        self._owner = owner
        self._label = label
        self._task: Any = None
        self._total = 0

    def grow(self, n: int) -> None:
        progress = self._owner._progress
        if progress is None or n <= 0:
            return
        with self._owner._lock:
            self._total += n
            if self._task is None:
                self._task = progress.add_task(self._label, total=self._total)
            else:
                progress.update(self._task, total=self._total)

    def advance(self, n: int) -> None:
        progress = self._owner._progress
        if progress is not None and self._task is not None:
            with self._owner._lock:
                progress.advance(self._task, n)
