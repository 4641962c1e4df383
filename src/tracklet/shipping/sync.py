"""Shipping whole run logs after the fact: ``tracklet sync`` and leftovers of crashed runs.

Re-running a sync changes nothing: the receiver skips every record it already holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tracklet.errors import RunLogError
from tracklet.shipping.base import Shipper
from tracklet.shipping.runlog import RunLogReader, find_segments


@dataclass
class SegmentResult:
    path: Path
    run_path: str
    shipped: int          # records newly applied by the receiver
    acked: int            # highest seq the receiver holds now
    problem: str | None = None


@dataclass
class SyncReport:
    segments: list[SegmentResult] = field(default_factory=list)

    @property
    def shipped(self) -> int:
        return sum(s.shipped for s in self.segments)

    @property
    def problems(self) -> list[SegmentResult]:
        return [s for s in self.segments if s.problem]


def sync_segment(path: Path, shipper: Shipper) -> SegmentResult:
    reader = RunLogReader(path)
    try:
        first = reader.read()
    except RunLogError as exc:
        return SegmentResult(path, "?", 0, 0, str(exc))
    header = reader.header
    if header is None:
        return SegmentResult(path, "?", 0, 0, "the file ends inside its header")
    run_path = f"{header.entity}/{header.project}/{header.run_id}"
    start = acked = shipper.acked(header)
    chunk = first
    while chunk:
        pending = [r for r in chunk if r.seq > acked]
        if pending:
            acked = shipper.ship(header, pending, run_dir=path.parent)
        chunk = reader.read()
    torn = reader.torn
    problem = (f"{path}: stopped at byte {torn.offset} ({torn.reason}); the records before "
               "it were shipped") if torn else None
    return SegmentResult(path, run_path, acked - start, acked, problem)


def sync_paths(paths: Sequence[Path], shipper: Shipper,
               on_segment: Callable[[SegmentResult], None] | None = None) -> SyncReport:
    report = SyncReport()
    for path in find_segments(paths):
        result = sync_segment(path, shipper)
        report.segments.append(result)
        if on_segment is not None:
            on_segment(result)
    return report
