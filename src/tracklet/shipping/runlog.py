"""Run log files: append-only segments of framed, checksummed records (see core.framing).

Layout on disk: ``<dir>/runs/<run-id>/<segment>.tlog``. A process writes one segment per
run it logs; a resumed run gets a new segment, so no two writers ever share a file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tracklet.core.framing import (
    decode_frames,
    decode_header,
    encode_frames,
    encode_header,
    frame_size,
)
from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader
from tracklet.errors import RunLogError

SUFFIX = ".tlog"
READ_CHUNK = 4 * 1024 * 1024


def segment_path(root: Path, header: SegmentHeader) -> Path:
    return root / "runs" / header.run_id / f"{header.segment}{SUFFIX}"


class RunLogWriter:
    """Appends records to one segment file. Not thread-safe: the writer thread owns it.

    Each ``append`` writes whole frames with unbuffered writes. If a write fails (disk
    full, file too large), the file is cut back to the end of the last whole frame, so
    what is written once space returns is readable and nothing half-written is left
    behind for readers to stop at.
    """

    def __init__(self, path: Path, header: SegmentHeader) -> None:
        self.path = path
        self.header = header
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self._fd).st_size
        if self.size == 0:
            self._write_all(encode_header(header))

    def append(self, records: Sequence[Record | tuple[Any, ...]]) -> None:
        self._write_all(encode_frames(records))

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None, "run log is closed"
        view = memoryview(data)
        done = 0
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
        except OSError:
            if done:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self.size)
            raise
        self.size += done

    def flush(self, *, fsync: bool = False) -> None:
        """Writes are unbuffered (already with the OS); ``fsync`` makes them durable."""
        if fsync and self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@dataclass
class ReadProblem:
    offset: int
    reason: str


class RunLogReader:
    """Reads a segment from its start or from where it stopped last time (tailing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header: SegmentHeader | None = None
        self.offset = 0
        self.problem: ReadProblem | None = None

    def _read_header(self, f: BinaryIO) -> bool:
        head = f.read(64 * 1024)
        try:
            found = decode_header(head)
        except ValueError as exc:
            raise RunLogError(f"{self.path}: {exc}") from exc
        if found is None:
            return False
        self.header, self.offset = found
        return True

    def read(self, max_bytes: int = READ_CHUNK) -> list[Record]:
        """Whole records after the current offset (up to about ``max_bytes`` of them).

        An incomplete last frame is left for the next call; a corrupt frame stops the
        reading for good and is described in ``problem`` (with its byte offset).
        """
        if self.problem is not None and self.problem.reason != "incomplete":
            return []
        with open(self.path, "rb") as f:
            if self.header is None and not self._read_header(f):
                return []
            f.seek(self.offset)
            buf = f.read(max_bytes)
            decoded = decode_frames(buf)
            if not decoded.records and decoded.problem == "incomplete" and len(buf) >= 8:
                # the next frame is bigger than max_bytes: read exactly that frame
                need = frame_size(buf)
                if need > len(buf):
                    buf += f.read(need - len(buf))
                    decoded = decode_frames(buf)
        self.offset += decoded.consumed
        self.problem = ReadProblem(self.offset, decoded.problem) if decoded.problem else None
        return decoded.records

    def records(self) -> Iterator[list[Record]]:
        """All whole records from the current offset to the end, in chunks."""
        while True:
            chunk = self.read()
            if not chunk:
                return
            yield chunk

    @property
    def torn(self) -> ReadProblem | None:
        """Where the readable part of a finished segment ends early, if it does."""
        if self.problem is None:
            return None
        size = self.path.stat().st_size
        return self.problem if self.problem.offset < size else None


def find_segments(paths: Sequence[Path]) -> list[Path]:
    """Segment files under each path (a data dir, a run dir or a segment file), oldest first."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(path.rglob(f"*{SUFFIX}"))
    unique = {p.resolve(): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.stat().st_mtime, str(p)))
