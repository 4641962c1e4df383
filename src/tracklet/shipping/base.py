"""The ``Shipper`` protocol: where the records of a run log go."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader


class Shipper(Protocol):
    """Delivers a segment's records idempotently (the receiver dedupes by ``seq``)."""

    def acked(self, header: SegmentHeader) -> int:
        """Highest contiguous seq the receiver already holds for this segment."""
        ...

    def ship(self, header: SegmentHeader, records: Sequence[Record], *,
             run_dir: Path | None = None) -> int:
        """Deliver ``records`` (in seq order); return the new highest contiguous seq.
        ``run_dir`` is the run directory the records came from: the files of logged
        images are there (``shipping.media``), stored as blobs before their records."""
        ...

    def close(self) -> None: ...
