"""``LogFollower``: ships a run-log segment as it grows, on a thread of its own.

The writer thread appends to the run log and never waits for the receiver; the follower
tails the file and delivers what is new. A slow or locked store, or a server that is
down, therefore never holds up the run log: the log keeps growing and the follower
catches up. On failure it re-reads the segment from the start (the receiver skips what it
already holds) after a pause. If ``close`` runs out of time the follower gives up at the
next chance (the caller reports what is left for ``tracklet sync``), so no thread keeps
shipping behind a finished run.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tracklet.core.segment import SegmentHeader
from tracklet.shipping.base import Shipper
from tracklet.shipping.runlog import RunLogReader

CHUNK = 64 * 1024  # run-log bytes per delivery while keeping up: short GIL holds
BIG_CHUNK = 2 * 1024 * 1024  # when far behind or finishing: fewer, larger transactions
RETRY_SECONDS = 2.0


class LogFollower:
    def __init__(self, path: Path, header: SegmentHeader, connect: Callable[[], Shipper], *,
                 interval: float, warn: Callable[[str, str], None],
                 yield_to: Callable[[], bool] = lambda: False) -> None:
        self.path = path
        self.header = header
        self.shipped_seq = 0
        self.finished = False
        self._connect = connect
        self._interval = interval
        self._warn = warn
        self._yield_to = yield_to  # True while the run log's writer needs the CPU more
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._abandoned = threading.Event()
        self._thread = threading.Thread(target=self._main, name="tracklet-shipper",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """The run log grew: look now rather than at the next interval."""
        self._wake.set()

    def close(self, timeout: float) -> None:
        """Ship the rest of the (complete) log, waiting at most ``timeout`` seconds."""
        self._closing.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            self._abandoned.set()  # out of time: stop at the next chance
            self._wake.set()

    def _main(self) -> None:
        shipper: Shipper | None = None
        reader: RunLogReader | None = None
        try:
            while not self._abandoned.is_set():
                closing = self._closing.is_set()
                if shipper is None:
                    shipper = self._open()
                if shipper is not None:
                    if reader is None:
                        reader = RunLogReader(self.path)
                    if self._drain(shipper, reader):
                        if closing:
                            return
                    else:
                        reader = None  # start over after a failure; the receiver dedupes
                if self._wake.wait(RETRY_SECONDS if shipper is None or reader is None
                                   else self._interval):
                    self._wake.clear()
        finally:
            if shipper is not None:
                shipper.close()
            self.finished = True

    def _open(self) -> Shipper | None:
        shipper: Shipper | None = None
        try:
            shipper = self._connect()
            self.shipped_seq = shipper.acked(self.header)
            return shipper
        except Exception as exc:
            if shipper is not None:
                with contextlib.suppress(Exception):
                    shipper.close()
            if not self._abandoned.is_set():  # else finish() has reported it already
                self._warn("connect", f"cannot ship records yet: {exc}; the run log keeps "
                           "everything, shipping is retried and `tracklet sync` ships what "
                           "is left")
            return None

    def _drain(self, shipper: Shipper, reader: RunLogReader) -> bool:
        """Ship everything readable now; False on failure."""
        try:
            while not self._abandoned.is_set():
                behind = self.path.stat().st_size - reader.offset
                size = BIG_CHUNK if self._closing.is_set() or behind > 4 * CHUNK else CHUNK
                records = reader.read(size)
                if not records:
                    return True
                pending = [r for r in records if r.seq > self.shipped_seq]
                if pending:
                    self.shipped_seq = shipper.ship(self.header, pending,
                                                    run_dir=self.path.parent)
                time.sleep(0)  # let the training thread in between deliveries
                while self._yield_to() and not self._closing.is_set():
                    time.sleep(0.005)  # the run log comes first: it is what keeps data safe
            return True
        except Exception as exc:
            if self._abandoned.is_set():
                return False
            self._warn("ship", f"could not ship records yet ({exc}); retrying, nothing "
                       "is lost: the run log keeps them")
            return False
