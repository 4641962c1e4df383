"""The writer thread: owns the run log of one run.

The training thread only appends small tuples to a deque (``put``). Every
``flush_interval`` the writer numbers them into records and appends them to the run log
(handed to the OS at once, so a killed process loses at most one interval). A
``LogFollower`` on its own thread ships the log as it grows, so a slow or locked store
never holds up the run log. A failing disk or store never raises into training: the
writer warns once per kind of trouble and counts what was not saved.

Memory is bounded by ``max_queue`` metric values waiting in the deque (the writer turns
that into a number of items from the sizes it sees). A slow store never backs up memory:
the run log on disk holds the backlog. Only if the disk itself cannot keep up does the
deque fill; then ``put`` blocks for up to ``queue_full_timeout`` seconds waiting for
the writer, then drops the item, counts it (reported at finish and stored as the run's
``dropped``) and warns once.
"""

from __future__ import annotations

import contextlib
import os
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
    from tracklet.shipping.base import Shipper
    from tracklet.shipping.follower import LogFollower
    from tracklet.shipping.runlog import RunLogWriter

# Items the training thread queues: a kind and the record's fields after ``seq, ts``.
#   ("h", ts, step, values)         history row          ("sys", ts, values)  system sample
#   ("out", (ts, stream, text))     console line         ("barrier", event)
#   ("media", ts, step, values, files)  media values; files [(path in the run dir, bytes)]
#   (kind, ts, *fields) for the rare kinds in ``_RARE``: start, update, meta, config,
#   summary, define, finish. ``meta`` carries a function that collects the metadata here.
Item = tuple[Any, ...]
Entry = tuple[str, tuple[Any, ...]]  # (record tag, the record's fields after seq)
BATCH = 512  # records built per GIL hold before yielding to the training thread
FRAME_RECORDS = 256  # records per run-log frame: frames stay small, so do store batches


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
        self._max_queue = min(max_queue, 10_000)  # items, until their sizes are measured
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
        self._follower: LogFollower | None = None
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
            if len(queue) >= self._max_queue and item[0] == "h":
                # before blocking, size the bound by this row (the writer refines it)
                self._max_queue = max(self._max_queue,
                                      self._max_values // max(len(item[3]), 1))
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
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        follower = self._follower
        if follower is not None and self.status.finished:
            follower.close(max(deadline - time.monotonic(), 0.0))
            self.status.shipped_seq = follower.shipped_seq
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
        except Exception as exc:  # never let the thread die silently
            self._warn("writer", f"the writer stopped unexpectedly: {exc!r}; the run log "
                       "keeps what was written, `tracklet sync` ships it")
        finally:
            if self._log is not None:
                with contextlib.suppress(OSError):  # already warned about the disk
                    self._log.close()
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
            return
        if self._connect is not None:
            from tracklet.shipping.follower import LogFollower

            self._follower = LogFollower(
                self._log_path, self.header, self._connect, interval=self._flush_interval,
                warn=self._warn, yield_to=lambda: len(self._queue) > self._max_queue >> 1)
            self._follower.start()

    def _cycle(self) -> None:
        entries, barriers = self._take()
        now = self._clock()
        if entries:
            self._last_record = now
        elif now - self._last_record >= self._heartbeat_interval:
            entries = [("hb", (now,))]
            self._last_record = now
        if entries:
            self._write(entries)
        for done in barriers:
            done.set()

    def _take(self) -> tuple[list[Entry], list[threading.Event]]:
        """Empty the deque into entries ``(tag, fields after seq)`` of the records' wire
        shape (see ``core.records``); seq numbers are given when they are written."""
        queue = self._queue
        out: list[Entry] = []
        barriers: list[threading.Event] = []
        lines: list[tuple[float, str, str]] = []
        taken = len(queue)
        values = rows = 0
        for i in range(taken):
            if i % BATCH == BATCH - 1:
                time.sleep(0)  # let the training thread run: it must never stall on us
            item = queue.popleft()
            kind = item[0]
            if kind == "h":
                out.append(("h", item[1:]))
                values += len(item[3])
                rows += 1
                if self._on_history is not None:
                    self._on_history(item[3], item[2])
            elif kind == "out":
                lines.append(item[1])
            elif kind == "barrier":
                barriers.append(item[1])
            elif kind == "finish":
                out.append(("finish", (*item[1:], self.status.dropped)))
            elif kind == "media":  # ("media", ts, step, values, files)
                self._write_media_files(item[4])
                out.append(("media", item[1:4]))
            else:  # sys, start, update, meta, config, summary, define
                out.append((kind, item[1:]))
        if lines:
            out.append(("out", (lines[-1][0], lines)))
        if rows:  # bound the deque by metric values, whatever the size of each row
            per_item = max(values / rows, 1.0)
            self._max_queue = max(int(self._max_values / per_item), 100)
        self._space.set()
        return out, barriers

    def _write_media_files(self, files: list[tuple[str, bytes]]) -> None:
        """Write the files of media values (images) into the run directory, before their
        record: content-addressed names, so a file already there is the same bytes. A
        file that cannot be written is warned about; the shipper records it as missing."""
        if self._log_path is None or not files:
            return
        root = self._log_path.parent
        for rel, data in files:
            path = root / rel
            try:
                if path.is_file() and path.stat().st_size == len(data):
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with open(tmp, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except OSError as exc:
                self._warn("media", f"cannot write the media file {path}: {exc}; training "
                           "goes on, the image is stored without its bytes")

    def _write(self, entries: list[Entry]) -> None:
        """Number and append entries frame by frame. A frame that cannot be written is
        counted as unsaved and its numbers are used again, so the log has no seq gaps."""
        if self._log is None:
            self.status.unsaved += len(entries)
            return
        for i in range(0, len(entries), FRAME_RECORDS):
            frame = entries[i:i + FRAME_RECORDS]
            seq = self._seq
            try:
                self._log.append([(tag, seq + n, *fields)
                                  for n, (tag, fields) in enumerate(frame, 1)])
            except OSError as exc:
                self.status.unsaved += len(frame)
                self._warn("disk", f"cannot write the run log {self._log.path}: {exc}; "
                           "training goes on; records are not saved while this lasts "
                           "(counted, reported at finish)")
            except Exception as exc:  # a record that cannot be encoded: lose it, not the run
                self.status.unsaved += len(frame)
                self._warn("encode", f"could not encode records ({exc!r}); they are not "
                           "saved, logging goes on")
            else:
                self._seq = seq + len(frame)
                self.status.written += len(frame)
            time.sleep(0)
        if self._follower is not None:
            self._follower.notify()
