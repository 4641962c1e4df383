"""The bytes of logged media (images) go into the blob store before their record.

A ``media`` record names each image by ``{"_type": "image-file", "sha256", "path", ...}``;
the writer thread wrote the file to ``<run dir>/<path>``. Before a shipper delivers a
batch holding such records, ``store_media_blobs`` asks its ``BlobSink`` which digests the
receiver lacks, reads those files, checks each against its sha256 and stores it: in the
local blob store (``LocalBlobSink``) or through the server's artifact-blob upload
endpoints (``HttpBlobSink``), which also grant the blob to the run's project. Replays
(``tracklet sync``) ask again and send only what is missing.

A file that is missing, unreadable or not what its digest says cannot block shipping
forever: its image JSON gets ``"missing": "<why>"``, the record is delivered, a warning
is logged, and readers get a clear 404 for its bytes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tracklet.core.media import image_files
from tracklet.core.records import Media, Record
from tracklet.core.segment import SegmentHeader

if TYPE_CHECKING:
    from tracklet.shipping.client import ServerClient
    from tracklet.store.blobs.local import LocalBlobStore
    from tracklet.store.sql.artifacts import SqlArtifactStore

log = logging.getLogger("tracklet.shipping")

_PATH = re.compile(r"^media/images/([0-9a-f]{64})\.[a-z]{3,4}$")
UPLOAD_CHUNK = 8 * 1024 * 1024  # bytes per upload request (the server takes 32 MiB bodies)


class BlobSink(Protocol):
    """Where a shipper puts media bytes: the receiver's blob store."""

    def missing(self, header: SegmentHeader, digests: Sequence[str]) -> list[str]:
        """Those of ``digests`` the receiver lacks for this run's project."""
        ...

    def put(self, header: SegmentHeader, digest: str, data: bytes) -> None:
        """Store ``data`` (already checked against ``digest``) for this run's project."""
        ...

    def close(self) -> None: ...


def store_media_blobs(header: SegmentHeader, records: Sequence[Record],
                      run_dir: Path | None, sink: BlobSink | None) -> None:
    """Store the bytes of every image the records name (in ``run_dir``) through ``sink``
    before the records are delivered. Images whose file cannot be had are marked
    ``missing`` in place. Errors of the sink (a server that is down) propagate: the
    caller retries the batch later."""
    refs: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        if isinstance(rec, Media):
            for value in rec.values.values():
                for ref in image_files(value):
                    digest = ref.get("sha256")
                    if isinstance(digest, str) and "missing" not in ref:
                        refs.setdefault(digest, []).append(ref)
    if not refs:
        return
    if sink is None:
        _mark(header, refs, list(refs), "this receiver has no blob store for media")
        return
    for digest in sink.missing(header, list(refs)):
        data, problem = _read(run_dir, digest, refs[digest][0])
        if data is None:
            _mark(header, refs, [digest], problem)
        else:
            sink.put(header, digest, data)


def _read(run_dir: Path | None, digest: str, ref: dict[str, Any]) -> tuple[bytes | None, str]:
    rel = ref.get("path")
    match = _PATH.match(rel) if isinstance(rel, str) else None
    if match is None or match.group(1) != digest:
        return None, f"its path {rel!r} is not media/images/<sha256>.<ext>"
    if run_dir is None:
        return None, "the run directory is not known to this shipper"
    path = run_dir / match.group(0)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"the file {path} could not be read ({exc.strerror or exc})"
    if hashlib.sha256(data).hexdigest() != digest:
        return None, f"the file {path} changed after it was logged (its sha256 differs)"
    return data, ""


def _mark(header: SegmentHeader, refs: dict[str, list[dict[str, Any]]],
          digests: Sequence[str], problem: str) -> None:
    for digest in digests:
        for ref in refs[digest]:
            ref["missing"] = problem
    log.warning("run %s: %d image(s) stored without their bytes: %s", header.run_path,
                len(digests), problem)


class LocalBlobSink:
    """The local blob store (``<data dir>/artifacts/blobs``) and its index in the store's
    database (the same index and grants artifacts use), opened on first use."""

    def __init__(self, blob_root: Path, store_url: str) -> None:
        self._root = blob_root
        self._url = store_url
        self._blobs: LocalBlobStore | None = None
        self._index: SqlArtifactStore | None = None

    def _open(self) -> tuple[LocalBlobStore, SqlArtifactStore]:
        if self._blobs is None or self._index is None:
            from tracklet.store.blobs.local import LocalBlobStore
            from tracklet.store.sql.artifacts import SqlArtifactStore

            self._blobs = LocalBlobStore(self._root)
            self._index = SqlArtifactStore(self._url)
        return self._blobs, self._index

    def missing(self, header: SegmentHeader, digests: Sequence[str]) -> list[str]:
        blobs, index = self._open()
        lacking, present = [], []
        for digest in digests:
            size = blobs.size(digest)
            if size is None:
                lacking.append(digest)
            else:
                present.append((digest, size, None))
        index.record_blobs(present, grant=(header.entity, header.project))
        return lacking

    def put(self, header: SegmentHeader, digest: str, data: bytes) -> None:
        blobs, index = self._open()
        blobs.put_bytes(digest, data)
        index.record_blob(digest, len(data), grant=(header.entity, header.project))

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


class HttpBlobSink:
    """A server's blob store, through ``/artifact-blobs/{entity}/{project}/...``: the
    server checks every upload against its sha256 and grants it to the project."""

    def __init__(self, client: ServerClient) -> None:
        self._client = client
        self._offsets: dict[str, int] = {}

    @staticmethod
    def _base(header: SegmentHeader) -> str:
        from urllib.parse import quote

        return f"/artifact-blobs/{quote(header.entity, safe='')}/" \
               f"{quote(header.project, safe='')}"

    def missing(self, header: SegmentHeader, digests: Sequence[str]) -> list[str]:
        import json

        lacking: list[str] = []
        for i in range(0, len(digests), 10_000):
            reply = self._client.request(
                "POST", self._base(header) + "/missing",
                content=json.dumps({"digests": list(digests[i:i + 10_000])}).encode(),
                headers={"Content-Type": "application/json"}).json()
            lacking.extend(reply["missing"])
            self._offsets.update({d: int(n) for d, n in reply.get("offsets", {}).items()})
        return lacking

    def put(self, header: SegmentHeader, digest: str, data: bytes) -> None:
        from tracklet.errors import ConflictError

        offset = self._offsets.pop(digest, 0)
        path = f"{self._base(header)}/{digest}/upload"
        while True:
            chunk = data[offset:offset + UPLOAD_CHUNK]
            try:
                reply = self._client.request(
                    "PUT", path, params={"offset": offset, "size": len(data)},
                    content=chunk, headers={"Content-Type": "application/octet-stream"}
                ).json()
            except ConflictError as exc:  # the server holds another amount: go on there
                held = exc.details.get("offset")
                if not isinstance(held, int) or held == offset:
                    raise
                offset = held
                continue
            if reply.get("complete"):
                return
            offset = int(reply["offset"])

    def close(self) -> None:
        pass  # the shipper owns the client
