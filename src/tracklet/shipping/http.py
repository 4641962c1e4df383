"""``HttpShipper``: records of a run log go to a Tracklet server (online mode, sync --host).

Each delivery is a ``POST /api/v1/ingest/{entity}/{project}/{run_id}/{segment}`` of a
msgpack array of records (the run log's own wire format), gzip-compressed when it is
bigger than a few KiB, in batches that stay under the server's limits. The server applies
every ``seq`` at most once and replies with the highest contiguous ``seq`` it holds, so a
retried or replayed batch is harmless, and ``acked()`` says where to resume.

Every call is bounded (a few tries with backoff, see ``client.RetryPolicy``) and raises a
``TrackletError`` when it gives up; the ``LogFollower`` then warns once and tries again
later, re-reading the run log from the last acknowledged record.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import httpx
import msgspec

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader
from tracklet.errors import ConflictError, TooLargeError
from tracklet.shipping.client import RetryPolicy, ServerClient
from tracklet.shipping.media import HttpBlobSink, store_media_blobs

MAX_BATCH_RECORDS = 50_000       # the server takes up to 100,000 records per batch
MAX_BATCH_BYTES = 8 * 1024 * 1024  # before compression; the server takes 32 MiB bodies
COMPRESS_FROM = 4 * 1024
MSGPACK = "application/x-msgpack"


class HttpShipper:
    def __init__(self, base_url: str, api_key: str, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 max_batch_records: int = MAX_BATCH_RECORDS,
                 max_batch_bytes: int = MAX_BATCH_BYTES,
                 retry: RetryPolicy | None = None, live: bool = False) -> None:
        """``live``: this process is the run itself, not a replay (``tracklet sync``); the
        server then counts each delivery as a heartbeat on its own clock."""
        if max_batch_records < 1 or max_batch_bytes < 1:
            raise ValueError("batch limits must be positive")
        self.client = ServerClient(base_url, api_key, transport=transport, timeout=timeout,
                                   retry=retry)
        self.max_batch_records = max_batch_records
        self.max_batch_bytes = max_batch_bytes
        self._encoder = msgspec.msgpack.Encoder()
        self._acked: dict[str, int] = {}  # segment -> what the server last said it holds
        self._live = live
        self._blobs = HttpBlobSink(self.client)

    @property
    def base_url(self) -> str:
        return self.client.base_url

    @staticmethod
    def _path(header: SegmentHeader) -> str:
        parts = (header.entity, header.project, header.run_id, header.segment)
        return "/ingest/" + "/".join(quote(p, safe="") for p in parts)

    def acked(self, header: SegmentHeader) -> int:
        reply = self.client.get_json(self._path(header))
        acked = self._acked[header.segment] = int(reply["acked"])
        return acked

    def ship(self, header: SegmentHeader, records: Sequence[Record], *,
             run_dir: Path | None = None) -> int:
        known = self._acked.get(header.segment)
        if not records:
            return known if known is not None else self.acked(header)
        if known is not None and records[0].seq > known + 1:
            # the server holds less than the caller thinks (it lost data, or was replaced):
            # make the caller re-read the run log from the server's point
            raise ConflictError(f"the server at {self.base_url} holds records of "
                                f"{header.run_path} up to seq {known} only; sending again "
                                "from there")
        store_media_blobs(header, records, run_dir, self._blobs)  # bytes before records
        limit = self.max_batch_records
        acked = known or 0
        start = 0
        while start < len(records):
            batch, body = self._batch(records, start, limit)
            try:
                acked = self._post(header, body, f"{batch[0].seq}-{batch[-1].seq}")
            except TooLargeError:
                if len(batch) == 1:
                    raise
                limit = max(len(batch) // 2, 1)  # the server's limits are smaller: halve
                continue
            self._acked[header.segment] = acked
            start += len(batch)
            if acked < batch[-1].seq:
                break  # the server stopped at a gap: sending more cannot help
        return acked

    def _batch(self, records: Sequence[Record], start: int,
               limit: int) -> tuple[Sequence[Record], bytes]:
        """The next batch from ``start``: at most ``limit`` records and about
        ``max_batch_bytes`` encoded (a single record may be bigger)."""
        count = min(limit, len(records) - start)
        while True:
            batch = records[start:start + count]
            body = self._encoder.encode(list(batch))
            if len(body) <= self.max_batch_bytes or count == 1:
                return batch, body
            count = max(1, min(count // 2, int(count * self.max_batch_bytes / len(body))))

    def _post(self, header: SegmentHeader, body: bytes, seqs: str) -> int:
        # the seq range lets the server tell a cut-short body from a short batch
        headers = {"Content-Type": MSGPACK, "X-Tracklet-Seq-Range": seqs}
        if self._live:
            headers["X-Tracklet-Live"] = "1"
        if len(body) > COMPRESS_FROM:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        reply = self.client.request("POST", self._path(header), content=body,
                                    headers=headers).json()
        return int(reply["acked"])

    def close(self) -> None:
        self.client.close()

