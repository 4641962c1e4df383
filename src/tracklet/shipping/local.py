"""``LocalShipper``: records go straight into a metadata store in this process."""

from __future__ import annotations

from collections.abc import Sequence

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader
from tracklet.store.base import MetadataStore


class LocalShipper:
    def __init__(self, store: MetadataStore, *, owns_store: bool = True,
                 live: bool = False) -> None:
        """``live``: this process is the run itself (see ``MetadataStore.append_records``);
        ``tracklet sync`` and other replays leave it off."""
        self.store = store
        self._owns = owns_store
        self._live = live

    def acked(self, header: SegmentHeader) -> int:
        return self.store.get_segment_seq(header)

    def ship(self, header: SegmentHeader, records: Sequence[Record]) -> int:
        return self.store.append_records(header, records, live=self._live)

    def close(self) -> None:
        if self._owns:
            self.store.close()
