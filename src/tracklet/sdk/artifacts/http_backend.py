"""``HttpBackend``: artifacts through a Tracklet server's ``/api/v1``.

Blobs go up in chunks to ``/artifact-blobs/{entity}/{project}/{digest}/upload`` at an
offset the server confirms, so an upload cut off (a killed client, a restarted server)
goes on where it stopped; whole blobs the server holds are never sent again. Downloads
follow the server's redirect to a presigned URL when its blob store is S3. Calls that
find the server unreachable are retried for up to ``retry_for`` seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from tracklet import __version__
from tracklet.errors import ConflictError, ServerUnavailableError
from tracklet.sdk.artifacts.backend import Progress
from tracklet.shipping.client import API, RETRY_STATUSES, ServerClient
from tracklet.store.artifacts import ArtifactVersionInfo, CollectionInfo, ManifestEntry

CHUNK = 8 * 1024 * 1024   # bytes per upload request (well under the body limit)
SMALL = 2 * 1024 * 1024   # blobs up to this size travel several to a request
BATCH_BLOBS = 500
T = TypeVar("T")


def _q(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


def _collection(data: dict[str, Any]) -> CollectionInfo:
    return CollectionInfo(data["entity"], data["project"], data["name"], data["type"],
                          data.get("description"), float(data["created_at"]),
                          int(data["version_count"]))


class _Reader:
    """Pieces of a response body, as many bytes as asked at most (no copies)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = memoryview(b"")

    def read(self, n: int) -> memoryview | None:
        """Up to ``n`` bytes; None at the end of the body."""
        while not self._current:
            chunk = next(self._chunks, None)
            if chunk is None:
                return None
            self._current = memoryview(chunk)
        piece, self._current = self._current[:n], self._current[n:]
        return piece

    def exactly(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n and (piece := self.read(n - len(out))) is not None:
            out += piece
        if len(out) < n:
            raise ServerUnavailableError("the download ended early")
        return bytes(out)


class HttpBackend:
    """One server and one API key."""

    def __init__(self, base_url: str, api_key: str | None, *, retry_for: float = 120.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.client = ServerClient(base_url, api_key, transport=transport, timeout=120.0)
        self.where = f"the server {self.client.base_url}"
        self.retry_for = retry_for
        self.sent_bytes = 0  # blob bytes sent by this backend (what resuming saves shows)
        self.presigned_uploads = 0  # blobs sent straight to the object store
        self._sent_lock = threading.Lock()
        self._offsets: dict[str, int] = {}  # partial uploads the server reported
        self._plain = httpx.Client(transport=transport,  # presigned URLs: no API key
                                   timeout=httpx.Timeout(300.0, connect=5.0))
        self._presigned: dict[str, dict[str, str]] = {}  # digest -> {url, token}
        headers = {"User-Agent": f"tracklet/{__version__}", "Accept-Encoding": "identity"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._download = httpx.Client(base_url=self.client.base_url + API, headers=headers,
                                      transport=transport, follow_redirects=True,
                                      timeout=httpx.Timeout(120.0, connect=5.0))

    def _retrying(self, call: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.retry_for
        delay = 0.25
        while True:
            try:
                return call()
            except ServerUnavailableError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)  # backoff while the server is away
                delay = min(delay * 2, 5.0)

    def _json(self, method: str, path: str, body: Any = None,
              params: dict[str, Any] | None = None) -> Any:
        import json

        content = None if body is None else json.dumps(body).encode()
        headers = None if body is None else {"Content-Type": "application/json"}
        response = self._retrying(lambda: self.client.request(
            method, path, params=params, content=content, headers=headers))
        return response.json() if response.content else None

    # -- blobs -------------------------------------------------------------------------------

    def missing(self, entity: str, project: str, digests: Sequence[str]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(digests), 5000):
            reply = self._json("POST", f"/artifact-blobs/{_q(entity, project)}/missing",
                               {"digests": list(digests[i:i + 5000])})
            out.extend(reply["missing"])
            self._offsets.update(reply.get("offsets") or {})
            self._presigned.update(reply.get("upload_urls") or {})
        return out

    def upload(self, entity: str, project: str, digest: str, path: Path, size: int,
               progress: Progress | None = None) -> None:
        presigned = self._presigned.pop(digest, None)
        if presigned is not None and self._upload_presigned(entity, project, digest, path,
                                                            size, presigned, progress):
            return
        url = f"/artifact-blobs/{_q(entity, project, digest)}/upload"
        offset = int(self._offsets.pop(digest, 0))  # where a partial upload goes on
        if progress is not None and offset:
            progress(offset)
        with path.open("rb") as stream:
            while True:
                stream.seek(offset)
                chunk = stream.read(CHUNK)
                if offset + len(chunk) != size and len(chunk) < CHUNK:
                    raise ConflictError(f"{path} changed while it was being uploaded (its "
                                        "size is not the one hashed); log the artifact again")
                try:
                    reply = self._put(url, offset, size, chunk)
                except ConflictError as exc:
                    server_offset = exc.details.get("offset")
                    if not isinstance(server_offset, int):
                        raise
                    if progress is not None:
                        progress(server_offset - offset)
                    offset = server_offset  # the server has more (or less): go on from there
                    continue
                if progress is not None:
                    progress(int(reply["offset"]) - offset)
                offset = int(reply["offset"])
                if reply["complete"]:
                    return

    def batchable(self, digest: str, size: int) -> bool:
        """Whether this blob may go in a batch (small, not half sent, no presigned URL)."""
        return size <= SMALL and digest not in self._presigned and digest not in self._offsets

    def upload_batch(self, entity: str, project: str, items: Sequence[tuple[str, Path, int]],
                     progress: Progress | None = None) -> None:
        """Send several small blobs in one request (``POST .../batch``)."""
        import json

        index = json.dumps([[digest, size] for digest, _, size in items]).encode()
        parts = [len(index).to_bytes(4, "big"), index]
        for _digest, path, size in items:
            data = path.read_bytes()
            if len(data) != size:
                raise ConflictError(f"{path} changed while it was being logged (its size is "
                                    "not the one hashed); log the artifact again")
            parts.append(data)
        length = sum(len(p) for p in parts)
        url = f"/artifact-blobs/{_q(entity, project)}/batch"

        def send() -> None:  # the parts as they are: no copy into one body
            with self._sent_lock:
                self.sent_bytes += length - len(index) - 4
            try:
                reply = self._download.post(url, content=iter(parts), headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(length)})
            except httpx.TransportError as exc:
                raise ServerUnavailableError(f"cannot reach {self.where} ({exc})") from exc
            if reply.status_code in RETRY_STATUSES:
                raise ServerUnavailableError(f"{self.where} is busy ({reply.status_code})")
            if not reply.is_success:
                raise self.client._error(reply)

        self._retrying(send)
        if progress is not None:
            progress(sum(size for _, _, size in items))

    def _upload_presigned(self, entity: str, project: str, digest: str, path: Path,
                          size: int, presigned: dict[str, str],
                          progress: Progress | None) -> bool:
        """PUT the file straight to the object store, then let the server check and take
        it in; False (nothing kept) when the store refused, so the caller goes through
        the server instead."""
        sent = 0

        def chunks() -> Any:
            nonlocal sent
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    sent += len(chunk)
                    with self._sent_lock:
                        self.sent_bytes += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

        try:
            reply: httpx.Response | None = self._plain.put(
                presigned["url"], content=chunks(), headers={"Content-Length": str(size)})
        except httpx.TransportError:
            reply = None
        if reply is None or not reply.is_success:
            if progress is not None and sent:
                progress(-sent)
            return False
        self._json("POST", f"/artifact-blobs/{_q(entity, project, digest)}/adopt",
                   {"token": presigned["token"]})
        with self._sent_lock:
            self.presigned_uploads += 1
        return True

    def _put(self, url: str, offset: int, size: int, chunk: bytes) -> Any:
        def put() -> httpx.Response:
            with self._sent_lock:
                self.sent_bytes += len(chunk)
            return self.client.request("PUT", url, params={"offset": offset, "size": size},
                                       content=chunk,
                                       headers={"Content-Type": "application/octet-stream"})

        return self._retrying(put).json()

    def fetch_blob(self, version: ArtifactVersionInfo, digest: str, dest: Path,
                   progress: Progress | None = None) -> str:
        url = f"/artifact-blobs/{_q(version.entity, version.project, digest)}"

        def fetch() -> str:
            sha = hashlib.sha256()
            try:
                with self._download.stream("GET", url) as response:
                    if not response.is_success:
                        response.read()
                        raise self.client._error(response)
                    with dest.open("wb") as out:
                        for chunk in response.iter_bytes(1 << 20):
                            sha.update(chunk)
                            out.write(chunk)
                            if progress is not None:
                                progress(len(chunk))
            except httpx.TransportError as exc:
                raise ServerUnavailableError(f"cannot reach {self.where} ({exc})") from exc
            return sha.hexdigest()

        return self._retrying(fetch)

    def fetch_blobs(self, version: ArtifactVersionInfo,
                    items: Sequence[tuple[str, int | None]], dests: dict[str, Path],
                    progress: Progress | None = None) -> dict[str, str]:
        """Several blobs in one request (``POST .../download``), each written to
        ``dests[digest]``; digest -> sha256 of what was written (the caller compares)."""
        import json

        url = f"/artifact-blobs/{_q(version.entity, version.project)}/download"
        body = json.dumps({"digests": [digest for digest, _ in items]}).encode()

        def fetch() -> dict[str, str]:
            out: dict[str, str] = {}
            done = 0
            try:
                with self._download.stream("POST", url, content=body, headers={
                        "Content-Type": "application/json"}) as response:
                    if not response.is_success:
                        response.read()
                        raise self.client._error(response)
                    reader = _Reader(response.iter_raw())
                    length = int.from_bytes(reader.exactly(4), "big")
                    index = json.loads(reader.exactly(length))
                    if [d for d, _ in index] != [d for d, _ in items]:
                        raise ConflictError(f"{self.where} sent other blobs than those "
                                            "asked for")
                    for digest, size in index:
                        sha = hashlib.sha256()
                        left = int(size)
                        with dests[digest].open("wb") as out_file:
                            while left and (piece := reader.read(left)) is not None:
                                sha.update(piece)
                                out_file.write(piece)
                                left -= len(piece)
                                done += len(piece)
                                if progress is not None:
                                    progress(len(piece))
                        if left:
                            raise ServerUnavailableError(
                                f"{self.where} ended the download of blob {digest} early")
                        out[digest] = sha.hexdigest()
            except httpx.TransportError as exc:
                if progress is not None and done:
                    progress(-done)
                raise ServerUnavailableError(f"cannot reach {self.where} ({exc})") from exc
            except ServerUnavailableError:
                if progress is not None and done:
                    progress(-done)
                raise
            return out

        return self._retrying(fetch)

    # -- versions ----------------------------------------------------------------------------

    def commit(self, entity: str, project: str, name: str, type: str,
               entries: Sequence[ManifestEntry], *, description: str | None,
               metadata: dict[str, Any], aliases: Sequence[str], run_id: str | None,
               digest: str) -> tuple[ArtifactVersionInfo, bool]:
        body = {"type": type, "digest": digest, "description": description,
                "metadata": metadata, "aliases": list(aliases), "run_id": run_id,
                "entries": [e.to_json() for e in entries]}
        reply = self._json("POST", f"/artifacts/{_q(entity, project, name)}/versions", body)
        return ArtifactVersionInfo.from_json(reply["version"]), bool(reply["created"])

    def _version_url(self, version: ArtifactVersionInfo) -> str:
        return (f"/artifacts/{_q(version.entity, version.project, version.name)}/versions/"
                f"v{version.version}")

    def get_version(self, entity: str, project: str, name: str,
                    alias: str) -> ArtifactVersionInfo:
        reply = self._json("GET", f"/artifacts/{_q(entity, project, name)}/versions/"
                                  f"{_q(alias)}")
        return ArtifactVersionInfo.from_json(reply)

    def list_files(self, version: ArtifactVersionInfo) -> list[ManifestEntry]:
        out: list[ManifestEntry] = []
        cursor: str | None = None
        while True:
            reply = self._json("GET", self._version_url(version) + "/files",
                               params={"cursor": cursor} if cursor else None)
            out.extend(ManifestEntry(e["path"], e.get("digest"), e.get("size"), e.get("md5"),
                                     e.get("ref"), e.get("extra")) for e in reply["items"])
            cursor = reply.get("next_cursor")
            if not cursor:
                return out

    def list_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersionInfo]:
        out: list[ArtifactVersionInfo] = []
        cursor: str | None = None
        while True:
            params = {"cursor": cursor} if cursor else None
            reply = self._json("GET", f"/artifacts/{_q(entity, project, name)}/versions",
                               params=params)
            out.extend(ArtifactVersionInfo.from_json(v) for v in reply["items"])
            cursor = reply.get("next_cursor")
            if not cursor:
                return out

    def list_collections(self, entity: str, project: str,
                         type: str | None = None) -> list[CollectionInfo]:
        reply = self._json("GET", f"/artifacts/{_q(entity, project)}",
                           params={"type": type} if type else None)
        return [_collection(c) for c in reply["items"]]

    def record_usage(self, version: ArtifactVersionInfo, entity: str, project: str,
                     run_id: str) -> None:
        self._json("POST", self._version_url(version) + "/usages",
                   {"entity": entity, "project": project, "run_id": run_id})

    def set_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        reply = self._json("PUT", f"/artifacts/{_q(version.entity, version.project)}/"
                                  f"{_q(version.name)}/aliases/{_q(alias)}",
                           {"version": f"v{version.version}"})
        return ArtifactVersionInfo.from_json(reply)

    def remove_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        self._json("DELETE", f"/artifacts/{_q(version.entity, version.project)}/"
                             f"{_q(version.name)}/aliases/{_q(alias)}")
        return self.get_version(version.entity, version.project, version.name,
                                f"v{version.version}")

    def delete_version(self, version: ArtifactVersionInfo) -> None:
        self._json("DELETE", self._version_url(version))

    def lineage(self, version: ArtifactVersionInfo) -> dict[str, Any]:
        return dict(self._json("GET", self._version_url(version) + "/lineage"))

    def run_artifacts(self, entity: str, project: str, run_id: str
                      ) -> tuple[list[ArtifactVersionInfo], list[ArtifactVersionInfo]]:
        reply = self._json("GET", f"/runs/{_q(entity, project, run_id)}/artifacts")
        return ([ArtifactVersionInfo.from_json(v) for v in reply["logged"]],
                [ArtifactVersionInfo.from_json(v) for v in reply["used"]])

    def close(self) -> None:
        self.client.close()
        self._download.close()
        self._plain.close()
