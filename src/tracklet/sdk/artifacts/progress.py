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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
