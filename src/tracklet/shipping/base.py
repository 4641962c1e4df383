"""The ``Shipper`` protocol: where the records of a run log go."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader


class Shipper(Protocol):
    """Delivers a segment's records idempotently (the receiver dedupes by ``seq``)."""

    def acked(self, header: SegmentHeader) -> int:
        """Highest contiguous seq the receiver already holds for this segment."""
        ...

    def ship(self, header: SegmentHeader, records: Sequence[Record]) -> int:
        """Deliver ``records`` (in seq order); return the new highest contiguous seq."""
        ...

    def close(self) -> None: ...
