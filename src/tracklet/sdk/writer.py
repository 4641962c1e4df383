"""The writer thread: owns all I/O of one run.

The training thread only appends small tuples to a deque (``put``). Every
``flush_interval`` the writer numbers them into records, appends them to the run log
(flushed to the OS, so a killed process loses at most one interval) and then ships what
the log holds beyond what the receiver acknowledged. A failing disk or store never raises
into training: the writer warns once per kind of trouble and counts what was not saved.

Memory is bounded by ``max_queue`` metric values waiting in the deque (the writer turns
that into a number of items from the sizes it sees). The writer drains the deque into the
run log first and ships only for a slice of each cycle, so a slow store never backs up
memory: the run log on disk holds the backlog. Only if the disk itself cannot keep up does
the deque fill; then ``put`` blocks for up to ``queue_full_timeout`` seconds waiting for
the writer, then drops the item, counts it (reported at finish and stored as the run's
``dropped``) and warns once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklet.core.segment import SegmentHeader
from tracklet.sdk.termlog import WarnOnce

if TYPE_CHECKING:
    from tracklet.core.records import Record
    from tracklet.shipping.base import Shipper
    from tracklet.shipping.runlog import RunLogReader, RunLogWriter

# Items the training thread queues: a kind and the record's fields after ``seq, ts``.
#   ("h", ts, step, values)         history row          ("sys", ts, values)  system sample
#   ("out", (ts, stream, text))     console line         ("barrier", event)
#   (kind, ts, *fields) for the rare kinds in ``_RARE``: start, update, meta, config,
#   summary, define, finish. ``meta`` carries a function that collects the metadata here.
Item = tuple[Any, ...]
STORE_RETRY_SECONDS = 2.0
BATCH = 512  # records built per GIL hold before yielding to the training thread
FRAME_RECORDS = 256  # records per run-log frame: frames stay small, so do store batches
SHIP_CHUNK = 64 * 1024  # run-log bytes per store transaction: short GIL holds, no stalls


@dataclass
class WriterStatus:
    """What became of the records, as ``finish()`` reports it."""

    written: int = 0          # records appended to the run log
    unsaved: int = 0          # records that could not be written to the run log
    dropped: int = 0          # items dropped because the queue stayed full
    shipped_seq: int = 0      # highest seq the receiver holds
    finished: bool = False    # the writer thread ran to its end

    @property
    def pending(self) -> int:
        return max(self.written - self.shipped_seq, 0)


class Writer:
    def __init__(
        self,
        header: SegmentHeader,
        *,
        log_path: Path | None,
        connect: Callable[[], Shipper] | None,
        flush_interval: float,
        heartbeat_interval: float,
        max_queue: int,
        queue_full_timeout: float,
        on_history: Callable[[dict[str, float], int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.header = header
        self.status = WriterStatus()
        self._log_path = log_path
        self._connect = connect
        self._flush_interval = flush_interval
        self._heartbeat_interval = heartbeat_interval
        self._max_values = max_queue
        self._max_queue = max(max_queue // 10, 100)  # items (~10 values each) until measured
        self._queue_full_timeout = queue_full_timeout
        self._on_history = on_history
        self._clock = clock
        self._queue: deque[Item] = deque()
        self._wake = threading.Event()
        self._space = threading.Event()
        self._stop = threading.Event()
        self._warn = WarnOnce()
        self._seq = 0
        self._log: RunLogWriter | None = None
        self._reader: RunLogReader | None = None
        self._shipper: Shipper | None = None
        self._next_connect = 0.0
        self._last_record = 0.0
        self._thread = threading.Thread(target=self._main, name="tracklet-writer",
                                        daemon=True)

    # -- caller side -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def put(self, item: Item) -> None:
        queue = self._queue
        if len(queue) >= self._max_queue >> 2:  # a quarter full: drain now, do not wait
            self._wake.set()
            if len(queue) >= self._max_queue and not self._wait_for_space():
                self.status.dropped += 1
                self._warn("queue", f"the writer is behind by {len(queue)} records; "
                           "dropping records (counted and reported at finish)")
                return
        queue.append(item)

    def put_record(self, item: Item) -> None:
        """Queue a rare record (config, summary, finish ...) and wake the writer."""
        self.put(item)
        self._wake.set()

    def _wait_for_space(self) -> bool:
        deadline = time.monotonic() + self._queue_full_timeout
        while len(self._queue) >= self._max_queue:
            if not self._thread.is_alive():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._space.clear()
            self._wake.set()
            self._space.wait(min(left, 0.05))
        return True

    def barrier(self, timeout: float) -> bool:
        """Wait until everything put so far is written and shipped (or tried)."""
        if not self._thread.is_alive():
            return False
        done = threading.Event()
        self.put(("barrier", done))
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float) -> WriterStatus:
        """Stop after writing and shipping everything queued; wait at most ``timeout``."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return self.status

    # -- writer thread ---------------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._open_log()
            while not self._stop.is_set():
                self._wake.wait(self._flush_interval)
                self._wake.clear()
                self._cycle()
            while self._queue:
                self._cycle()
            if self._log is not None:
                self._log.close()
            self._ship()
        except Exception as exc:  # never let the thread die silently
            self._warn("writer", f"the writer stopped unexpectedly: {exc!r}; the run log "
                       "keeps what was written, `tracklet sync` ships it")
        finally:
            if self._log is not None:
                with contextlib.suppress(OSError):  # already warned about the disk
                    self._log.close()
            if self._shipper is not None:
                self._shipper.close()
            self.status.finished = True
            self._space.set()

    def _open_log(self) -> None:
        if self._log_path is None:
            return
        from tracklet.shipping.runlog import RunLogWriter

        try:
            self._log = RunLogWriter(self._log_path, self.header)
        except OSError as exc:
            self._warn("disk", f"cannot write the run log {self._log_path}: {exc}; training "
                       "goes on, but what is logged is not saved")

    def _cycle(self) -> None:
        records, barriers = self._take()
        now = self._clock()
        if records:
            self._last_record = now
        elif now - self._last_record >= self._heartbeat_interval:
            from tracklet.core.records import Heartbeat

            self._seq += 1
            records = [Heartbeat(self._seq, now)]
            self._last_record = now
        if records:
            self._write(records)
        self._ship(budget=None if barriers else self._flush_interval / 2)
        for done in barriers:
            done.set()

    def _take(self) -> tuple[list[Record | Item], list[threading.Event]]:
        from tracklet.core import records as r

        rare: dict[str, Callable[..., Record]] = {
            "start": r.RunStart, "update": r.RunUpdate, "config": r.ConfigUpdate,
            "summary": r.SummaryUpdate, "define": r.DefineMetric}
        queue = self._queue
        out: list[Record | Item] = []
        barriers: list[threading.Event] = []
        lines: list[tuple[float, str, str]] = []
        seq = self._seq
        taken = len(queue)
        values = rows = 0
        for i in range(taken):
            if i % BATCH == BATCH - 1:
                time.sleep(0)  # let the training thread run: it must never stall on us
            item = queue.popleft()
            kind = item[0]
            if kind == "h":
                seq += 1
                out.append(("h", seq, item[1], item[2], item[3]))  # a History, as a tuple
                values += len(item[3])
                rows += 1
                if self._on_history is not None:
                    self._on_history(item[3], item[2])
            elif kind == "out":
                lines.append(item[1])
            elif kind == "sys":
                seq += 1
                out.append(("sys", seq, item[1], item[2]))
            elif kind == "barrier":
                barriers.append(item[1])
            elif kind == "meta":
                seq += 1
                out.append(r.Metadata(seq, item[1], item[2]()))
            elif kind == "finish":
                seq += 1
                _, ts, state, exit_code, trace = item
                out.append(r.RunFinish(seq, ts, state, exit_code, trace, self.status.dropped))
            else:
                seq += 1
                out.append(rare[kind](seq, *item[1:]))
        if lines:
            seq += 1
            out.append(r.Console(seq, lines[-1][0], lines))
        self._seq = seq
        if rows:  # bound the deque by metric values, whatever the size of each row
            per_item = max(values / rows, 1.0)
            self._max_queue = max(int(self._max_values / per_item), 100)
        self._space.set()
        return out, barriers

    def _write(self, records: list[Record | Item]) -> None:
        if self._log is None:
            self.status.unsaved += len(records)
            return
        try:
            for i in range(0, len(records), FRAME_RECORDS):
                self._log.append(records[i:i + FRAME_RECORDS])
                time.sleep(0)
            self._log.flush()
            self.status.written += len(records)
        except OSError as exc:
            self.status.unsaved += len(records)
            self._warn("disk", f"cannot write the run log {self._log.path}: {exc}; training "
                       "goes on, what is logged from now on is not saved")
        except Exception as exc:  # a record that cannot be encoded: lose it, not the run
            self.status.unsaved += len(records)
            self._warn("encode", f"could not encode {len(records)} records ({exc!r}); they "
                       "are not saved, logging goes on")

    def _ship(self, budget: float | None = None) -> None:
        """Ship what the run log holds beyond the acknowledged seq, for at most ``budget``
        seconds (None: until caught up)."""
        if self._connect is None or self._log is None or self.status.written == 0:
            return
        if self._shipper is None and not self._open_shipper():
            return
        assert self._shipper is not None
        if self._reader is None:
            from tracklet.shipping.runlog import RunLogReader

            self._reader = RunLogReader(self._log.path)
        deadline = None if budget is None else time.monotonic() + budget
        try:
            while deadline is None or (time.monotonic() < deadline
                                       and len(self._queue) < self._max_queue >> 2):
                records = self._reader.read(SHIP_CHUNK)
                pending = [r for r in records if r.seq > self.status.shipped_seq]
                if pending:
                    self.status.shipped_seq = self._shipper.ship(self.header, pending)
                    time.sleep(0)
                if not records:
                    break
        except Exception as exc:
            self._reader = None  # re-read from the start next time; the receiver dedupes
            self._warn("ship", f"could not store records yet ({exc}); retrying, nothing "
                       "is lost: the run log keeps them")

    def _open_shipper(self) -> bool:
        now = time.monotonic()
        if now < self._next_connect or self._connect is None:
            return False
        self._next_connect = now + STORE_RETRY_SECONDS
        try:
            self._shipper = self._connect()
            self.status.shipped_seq = self._shipper.acked(self.header)
        except Exception as exc:
            self._shipper = None
            self._warn("connect", f"cannot open the store ({exc}); the run log keeps "
                       "everything, `tracklet sync` ships it later")
            return False
        return True
