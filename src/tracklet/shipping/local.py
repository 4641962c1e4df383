"""``LocalShipper``: records go straight into a metadata store in this process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader
from tracklet.shipping.media import BlobSink, LocalBlobSink, store_media_blobs
from tracklet.store.base import MetadataStore


class LocalShipper:
    def __init__(self, store: MetadataStore, *, owns_store: bool = True,
                 live: bool = False, blobs: BlobSink | None = None) -> None:
        """``live``: this process is the run itself (see ``MetadataStore.append_records``);
        ``tracklet sync`` and other replays leave it off. ``blobs``: where the bytes of
        logged images go (``for_data_dir`` sets the data directory's blob store); without
        it images are stored without their bytes."""
        self.store = store
        self._owns = owns_store
        self._live = live
        self._blobs = blobs

    @classmethod
    def for_data_dir(cls, store: MetadataStore, root: Path, store_url: str, *,
                     owns_store: bool = True, live: bool = False) -> LocalShipper:
        """A shipper into ``store`` whose media bytes go to ``root``'s blob store
        (``<root>/artifacts/blobs``, the one artifacts use)."""
        return cls(store, owns_store=owns_store, live=live,
                   blobs=LocalBlobSink(Path(root) / "artifacts" / "blobs", store_url))

    def acked(self, header: SegmentHeader) -> int:
        return self.store.get_segment_seq(header)

    def ship(self, header: SegmentHeader, records: Sequence[Record], *,
             run_dir: Path | None = None) -> int:
        store_media_blobs(header, records, run_dir, self._blobs)
        return self.store.append_records(header, records, live=self._live)

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()
        if self._owns:
            self.store.close()
