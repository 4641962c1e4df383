"""``ImportedRun``: one run found by an importer, written as a run-log segment.

An importer fills an ``ImportedRun`` (who the run is, its config and tags) and streams
its points into an ``ImportWriter``, which numbers the records, frames them and, on
``close()``, names the segment after the digest of its content: the same source always
gives the same file, so importing twice ships nothing new.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracklet.core.framing import encode_frames, encode_header
from tracklet.core.records import (
    ConfigUpdate,
    History,
    Media,
    Metadata,
    Record,
    RunFinish,
    RunStart,
    SummaryUpdate,
)
from tracklet.core.segment import SegmentHeader
from tracklet.shipping.runlog import SUFFIX

FRAME_RECORDS = 2000  # records per frame: one checksum per batch, as the live writer does
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def project_name(text: str, default: str) -> str:
    """``text`` (a folder or experiment name) as a valid project name: characters a
    project name cannot hold become ``-``."""
    return _NOT_NAME.sub("-", text).strip("-.")[:128] or default


@dataclass
class ImportedRun:
    """What an importer knows about a run before its points."""

    run_id: str
    project: str
    entity: str
    name: str
    created: float | None = None       # unix time the run started (None: its first point)
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    """What importing one run wrote: its segment, its points and what was left out
    (kind -> count)."""

    run: ImportedRun
    segment: Path
    points: int
    skipped: Counter[str] = field(default_factory=Counter)


class ImportWriter:
    """Writes one imported run as a segment under ``root/runs/<run-id>/``.

    Call ``history``/``media``/``config``/``summary`` in any order, then ``finish`` and
    ``close``. Records are framed as they come, so a run of millions of points never sits
    in memory.
    """

    def __init__(self, root: Path, run: ImportedRun) -> None:
        self.run = run
        self.points = 0
        self._dir = root / "runs" / run.run_id
        self._dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".import-", suffix=".part")
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._pending: list[Record] = []
        self._earliest = run.created
        # RunStart, Metadata and the first config are framed last (``close``), when the
        # start time is known: the earliest of ``run.created`` and every record's time.
        self._seq = 1 + bool(run.metadata) + bool(run.config)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _put(self, record: Record) -> None:
        if self._earliest is None or record.ts < self._earliest:
            self._earliest = record.ts
        self._pending.append(record)
        if len(self._pending) >= FRAME_RECORDS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            frame = encode_frames(self._pending)
            self._digest.update(frame)
            self._file.write(frame)
            self._pending = []

    def history(self, ts: float, step: int, values: dict[str, float]) -> None:
        """Scalars logged together at ``step`` at unix time ``ts``."""
        self.points += len(values)
        self._put(History(self._next(), ts, step, values))

    def media(self, ts: float, step: int, values: dict[str, dict[str, Any]]) -> None:
        """Media values (W&B-shaped JSON with a ``_type``) at ``step``."""
        self._put(Media(self._next(), ts, step, values))

    def config(self, ts: float, values: dict[str, Any]) -> None:
        self._put(ConfigUpdate(self._next(), ts, values))

    def summary(self, ts: float, values: dict[str, Any]) -> None:
        self._put(SummaryUpdate(self._next(), ts, values))

    def finish(self, ts: float, state: str = "finished") -> None:
        self._put(RunFinish(self._next(), ts, state))

    def close(self) -> Path:
        """Name the segment after its content and return its path (an identical segment
        written before is kept as it is)."""
        self._flush()
        self._file.close()
        run, start = self.run, self._earliest or 0.0
        head: list[Record] = [RunStart(1, start, run.run_id, run.project, run.entity,
                                       run.name, run.group, run.job_type, list(run.tags),
                                       run.notes)]
        if run.metadata:
            head.append(Metadata(len(head) + 1, start, run.metadata))
        if run.config:
            head.append(ConfigUpdate(len(head) + 1, start, run.config))
        first = encode_frames(head)
        digest = hashlib.sha256(first)
        digest.update(self._digest.digest())
        segment = f"import-{digest.hexdigest()[:16]}"
        path = self._dir / f"{segment}{SUFFIX}"
        try:
            if not path.exists():
                header = SegmentHeader(segment, run.run_id, run.project, run.entity)
                part = path.with_name(f".{segment}.part")
                with open(part, "wb") as out, open(self._tmp, "rb") as frames:
                    out.write(encode_header(header) + first)
                    while block := frames.read(4 * 1024 * 1024):
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(part, path)
        finally:
            with contextlib.suppress(OSError):
                self._tmp.unlink()
        return path

    def abort(self) -> None:
        """Drop what was written (the source could not be read to the end)."""
        self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()
