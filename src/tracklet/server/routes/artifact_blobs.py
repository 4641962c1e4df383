"""``/api/v1/artifact-blobs``: content-addressed artifact blobs, shared server-wide.

Uploads are resumable: ``GET .../{digest}/upload`` says how many bytes the server holds,
``PUT .../{digest}/upload?offset=N&size=TOTAL`` appends the next chunk at exactly that
offset (409 with the right ``offset`` otherwise). When the last byte arrives the server
checks the sha256 (and records an MD5 beside it), moves the blob into the blob store and
indexes it; a blob already stored is ``complete`` at once and never sent again, as long as
this project may use it (it holds it, a project the caller can read holds it, or its bytes
were uploaded through it): knowing a digest never opens another team's blob.
A blob is read through a project whose artifact versions hold it, by those who may read
that project; with an S3 store the server answers with a redirect to a presigned URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tracklet.errors import ConflictError, NotFoundError, ValidationError
from tracklet.server.artifact_state import ArtifactStore, Blobs, upload_dir
from tracklet.server.auth import Access, Authorized, CanReadProject, CanWriteProject
from tracklet.server.responses import respond
from tracklet.server.routes.common import Settings, errors
from tracklet.server.settings import ServerSettings
from tracklet.store.blobs.base import BlobStore, PresigningBlobStore, check_digest
from tracklet.store.sql.artifacts import SqlArtifactStore

NAME = r"^[A-Za-z0-9_.-]{1,128}$"
DIGEST = r"^[0-9a-f]{64}$"
MAX_DIGESTS = 10_000

router = APIRouter(prefix="/artifact-blobs", tags=["artifacts"])

Entity = Annotated[str, PathParam(pattern=NAME)]
Project = Annotated[str, PathParam(pattern=NAME)]
Digest = Annotated[str, PathParam(pattern=DIGEST, description="sha256, lower-case hex.")]


@router.post("/{entity}/{project}/missing", summary="Which blobs the server lacks",
             description=f"Of up to {MAX_DIGESTS} sha256 digests, those not stored yet "
                         "(in the order given), and `offsets`: how many bytes of each "
                         "partial upload the server holds. With an S3 blob store also "
                         "`upload_urls`: per digest a presigned `url` to PUT the bytes to "
                         "and a `token` for `POST .../{digest}/adopt`. Needs write access "
                         "to the project.",
             responses=errors(400, 401, 403, 404, 503))
def missing(request: Request, entity: Entity, project: Project, caller: CanWriteProject,
            store: ArtifactStore, blobs: Blobs, settings: Settings,
            digests: Annotated[list[Annotated[str, PathParam(pattern=DIGEST)]],
                               Body(embed=True, max_length=MAX_DIGESTS)]) -> Response:
    lacking = store.missing_for(entity, project, digests, caller.can_read)
    offsets = {}
    for digest in lacking:  # partial uploads: where each one goes on
        part = _part(settings, blobs, digest)
        if part.exists():
            offsets[digest] = part.stat().st_size
    reply: dict[str, Any] = {"missing": lacking, "offsets": offsets}
    if settings.presign and isinstance(blobs, PresigningBlobStore):
        urls = {}
        for digest in lacking:
            if digest not in offsets:
                url, token = blobs.presign_upload(digest, expires=3600)
                urls[digest] = {"url": url, "token": token}
        reply["upload_urls"] = urls
    return respond(request, reply)


def _part(settings: ServerSettings, blobs: BlobStore, digest: str) -> Path:
    return upload_dir(settings, blobs) / f"{digest}.part"


def _complete(store: SqlArtifactStore, blobs: BlobStore, digest: str, entity: str,
              project: str, auth: Access) -> bool:
    """The blob is stored and this project may use it (no bytes need to come)."""
    if store.missing_blobs([digest]):
        size = blobs.size(digest)
        if size is None:
            return False
        store.record_blob(digest, size)  # stored, but the index write was cut off
    return not store.missing_for(entity, project, [digest], auth.can_read)


MAX_BATCH_BLOBS = 1000


@router.post("/{entity}/{project}/batch", summary="Upload many small blobs in one request",
             description="The body (`application/octet-stream`, at most `max_body_bytes`) is "
                         "a 4-byte big-endian length, that many bytes of JSON "
                         "`[[digest, size], ...]` (at most "
                         f"{MAX_BATCH_BLOBS}), then the blobs' bytes one after the other. "
                         "Each blob is checked against its sha256 and stored; the reply "
                         "lists the digests `stored` (a mismatch gets 400 and stores "
                         "nothing).",
             responses=errors(400, 401, 403, 404, 413, 503),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string",
                                                         "format": "binary"}}}}})
async def upload_batch(request: Request, entity: Entity, project: Project,
                       caller: CanWriteProject, store: ArtifactStore, blobs: Blobs,
                       settings: Settings) -> Response:
    chunks = [chunk async for chunk in request.stream() if chunk]  # not joined: no copy
    stored = await run_in_threadpool(_store_batch, store, blobs, chunks, (entity, project),
                                     upload_dir(settings, blobs))
    return respond(request, {"stored": stored})


class _Pieces:
    """A body received in chunks, read in order as memoryviews (no copies)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self._next = 0
        self._current = memoryview(b"")
        self.left = sum(len(c) for c in chunks)

    def take(self, n: int) -> list[memoryview]:
        """The next ``n`` bytes (fewer at the end of the body), in pieces."""
        out = []
        while n > 0:
            if not self._current:
                if self._next == len(self._chunks):
                    break
                self._current = memoryview(self._chunks[self._next])
                self._next += 1
            piece, self._current = self._current[:n], self._current[n:]
            out.append(piece)
            n -= len(piece)
            self.left -= len(piece)
        return out


def _store_batch(store: SqlArtifactStore, blobs: BlobStore, chunks: list[bytes],
                 where: tuple[str, str], staging: Path) -> list[str]:
    body = _Pieces(chunks)
    head = b"".join(body.take(4))
    if len(head) < 4:
        raise ValidationError("a batch starts with the 4-byte length of its JSON index")
    try:
        index = json.loads(b"".join(body.take(int.from_bytes(head, "big"))))
    except ValueError:
        raise ValidationError("the batch index is not JSON: [[digest, size], ...]") from None
    if (not isinstance(index, list) or len(index) > MAX_BATCH_BLOBS
            or not all(isinstance(i, list) and len(i) == 2 and isinstance(i[0], str)
                       and isinstance(i[1], int) and not isinstance(i[1], bool)
                       and i[1] >= 0 for i in index)):
        raise ValidationError(f"the batch index must be [[digest, size], ...] with at most "
                              f"{MAX_BATCH_BLOBS} entries")
    if sum(size for _, size in index) != body.left:
        raise ValidationError("the batch's bytes do not add up to the sizes in its index")
    staged: list[tuple[str, int, Path | None]] = []  # each checked before any is stored
    try:
        for digest, size in index:
            check_digest(digest)
            sha = hashlib.sha256()
            tmp = None if blobs.has(digest) else staging / f"{uuid.uuid4().hex}.batch"
            staged.append((digest, size, tmp))
            with contextlib.nullcontext() if tmp is None else tmp.open("wb") as out:
                for piece in body.take(size):
                    sha.update(piece)
                    if out is not None:
                        out.write(piece)
            if sha.hexdigest() != digest:
                raise ValidationError(f"the bytes uploaded for blob {digest} hash to "
                                      f"{sha.hexdigest()}; nothing of this batch was "
                                      "stored: send it again")
        for digest, _size, tmp in staged:
            if tmp is not None:
                blobs.put_file(digest, tmp, move=True)
    finally:
        for _, _, tmp in staged:
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
    store.record_blobs([(digest, size, None) for digest, size, _ in staged], grant=where)
    return [digest for digest, _, _ in staged]


@router.get("/{entity}/{project}/{digest}/upload", summary="Where an upload stands",
            description="`offset`: bytes of this blob the server holds so far; `complete`: "
                        "the blob is stored (send nothing).",
            responses=errors(400, 401, 403, 404, 503))
def upload_state(request: Request, entity: Entity, project: Project, digest: Digest,
                 caller: CanWriteProject, store: ArtifactStore, blobs: Blobs,
                 settings: Settings) -> Response:
    if _complete(store, blobs, digest, entity, project, caller):
        return respond(request, {"offset": 0, "complete": True})
    part = _part(settings, blobs, digest)
    offset = part.stat().st_size if part.exists() else 0
    return respond(request, {"offset": offset, "complete": False})


@router.put("/{entity}/{project}/{digest}/upload", summary="Upload the next chunk of a blob",
            description="Appends the body (`application/octet-stream`, at most "
                        "`max_body_bytes`) at `offset` of the blob of `size` bytes. 409 "
                        "with `details.offset` when the server holds a different amount; "
                        "400 when the finished bytes do not hash to the digest (the partial "
                        "upload is dropped).",
            responses=errors(400, 401, 403, 404, 409, 413, 503),
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}}})
async def upload_chunk(request: Request, entity: Entity, project: Project, digest: Digest,
                       caller: CanWriteProject, store: ArtifactStore, blobs: Blobs,
                       settings: Settings, offset: Annotated[int, Query(ge=0, le=2**62)],
                       size: Annotated[int, Query(ge=0, le=2**62)]) -> Response:
    body = await request.body()
    state = await run_in_threadpool(_append, store, blobs, settings, digest, offset, size,
                                    body, (entity, project), caller)
    return respond(request, state)


def _append(store: SqlArtifactStore, blobs: BlobStore, settings: ServerSettings,
            digest: str, offset: int, size: int, body: bytes, where: tuple[str, str],
            auth: Access) -> dict[str, Any]:
    if offset + len(body) > size:
        raise ValidationError(f"the chunk ends at byte {offset + len(body)}, after the "
                              f"blob's size {size}")
    part = _part(settings, blobs, digest)
    if offset == 0 and len(body) == size and not part.exists():  # whole blob at once
        sha = hashlib.sha256(body).hexdigest()
        if sha != digest:
            raise ValidationError(f"the bytes uploaded for blob {digest} hash to {sha}; "
                                  "the upload was dropped: send the file again")
        if not blobs.has(digest):
            blobs.put_bytes(digest, body)
        store.record_blob(digest, size, grant=where)
        return {"offset": size, "complete": True}
    if offset == 0 and _complete(store, blobs, digest, *where, auth):
        return {"offset": size, "complete": True}
    with part.open("ab") as out:
        fcntl.flock(out, fcntl.LOCK_EX)  # one writer per blob, across server processes
        current = out.seek(0, 2)
        if current != offset:
            raise ConflictError(f"the server holds {current} bytes of blob {digest}, not "
                                f"{offset}: go on from there", details={"offset": current})
        out.write(body)
        out.flush()
        held = current + len(body)
        running = _running_hash(part, current, body, held)
        if held < size:
            return {"offset": held, "complete": False}
        try:
            sha = running.hexdigest() if running is not None else _sha256_of(part)
            if sha != digest:
                raise ValidationError(f"the bytes uploaded for blob {digest} hash to {sha}; "
                                      "the upload was dropped: send the file again")
            if not blobs.has(digest):
                blobs.put_file(digest, part, move=True)
            store.record_blob(digest, size, grant=where)
        finally:
            with _running_lock:
                _running.pop(part, None)
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
    return {"offset": size, "complete": True}


# The sha256 of each partial upload so far, as this process received it (part -> (bytes
# hashed, hash)): the last chunk finishes the hash instead of reading the file again. A
# part this process did not see from its first byte (another process, a restart) is
# read once at the end.
_running: dict[Path, tuple[int, Any]] = {}
_running_lock = threading.Lock()


def _running_hash(part: Path, start: int, body: bytes, end: int) -> Any:
    """The hash of ``part``'s first ``end`` bytes when this process saw them all (the
    caller holds the part's lock), else None."""
    with _running_lock:
        found = _running.pop(part, None)
    if start == 0:
        found = (0, hashlib.sha256())
    if found is None or found[0] != start:
        return None
    found[1].update(body)
    with _running_lock:
        _running[part] = (end, found[1])
        if len(_running) > 1000:  # abandoned uploads: forget the oldest (read if resumed)
            _running.pop(next(iter(_running)))
    return found[1]


def _sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


class AdoptIn(BaseModel):
    token: str = Field(pattern=r"^[0-9a-f]{32}$", description="The token `missing` gave.")


@router.post("/{entity}/{project}/{digest}/adopt",
             summary="Take in a blob uploaded to a presigned URL",
             description="The server reads what was PUT to the presigned URL, checks its "
                         "sha256 and stores it as the blob (400 when it does not match; "
                         "the upload is dropped; 404 when nothing arrived).",
             responses=errors(400, 401, 403, 404, 503))
def adopt(request: Request, entity: Entity, project: Project, digest: Digest,
          body: AdoptIn, caller: CanWriteProject, store: ArtifactStore,
          blobs: Blobs) -> Response:
    if not isinstance(blobs, PresigningBlobStore):
        raise NotFoundError("this server's blob store takes uploads through "
                            "PUT .../upload only")
    sha, md5, size = blobs.adopt_upload(digest, body.token)
    if sha != digest:
        raise ValidationError(f"the bytes uploaded for blob {digest} hash to {sha}; the "
                              "upload was dropped: send the file again")
    store.record_blob(digest, size, md5, grant=(entity, project))
    return respond(request, {"offset": size, "complete": True})


MAX_BATCH_DOWNLOAD_BYTES = 256 * 1024 * 1024


@router.post("/{entity}/{project}/download", summary="Download many blobs in one request",
             description="For `digests` (at most "
                         f"{MAX_BATCH_BLOBS}, together at most "
                         f"{MAX_BATCH_DOWNLOAD_BYTES // 1024 // 1024} MiB), the body is "
                         "a 4-byte big-endian length, that many bytes of JSON "
                         "`[[digest, size], ...]` (the order asked), then the blobs' bytes "
                         "one after the other: the batch upload's framing. Every digest "
                         "must be held by an artifact version of this project (404 "
                         "naming the first that is not). The client checks each blob "
                         "against its sha256.",
             responses={**errors(400, 401, 404, 503),
                        200: {"content": {"application/octet-stream": {}}}})
def download_batch(entity: Entity, project: Project, caller: CanReadProject,
                   store: ArtifactStore, blobs: Blobs,
                   digests: Annotated[list[Annotated[str, PathParam(pattern=DIGEST)]],
                                      Body(embed=True, min_length=1,
                                           max_length=MAX_BATCH_BLOBS)]) -> Response:
    held = store.blobs_held_by(entity, project, digests)
    index: list[list[Any]] = []
    for digest in digests:
        size = blobs.size(digest) if digest in held else None
        if digest not in held:
            raise NotFoundError(f"no blob {digest} in the artifacts of {entity}/{project}")
        if size is None:
            raise NotFoundError(f"blob {digest} is indexed but missing from the blob store; "
                                "log the artifact again to restore it")
        index.append([digest, size])
    total = sum(size for _, size in index)
    if total > MAX_BATCH_DOWNLOAD_BYTES:
        raise ValidationError(f"these blobs hold {total} bytes; ask for at most "
                              f"{MAX_BATCH_DOWNLOAD_BYTES} in one request")
    head = json.dumps(index).encode()

    def chunks() -> Any:
        yield len(head).to_bytes(4, "big") + head
        for digest, size in index:
            sent = 0
            with blobs.open(digest) as stream:
                while sent < size and (chunk := stream.read(min(1 << 20, size - sent))):
                    sent += len(chunk)
                    yield chunk
            if sent != size:  # changed under us: end short, the client sees it
                return

    return StreamingResponse(chunks(), media_type="application/octet-stream",
                             headers={"Content-Length": str(4 + len(head) + total),
                                      "Content-Encoding": "identity"})


@router.get("/{entity}/{project}/{digest}", summary="Download a blob",
            description="The blob's bytes, when an artifact version of this project holds "
                        "it and the caller may read the project (404 otherwise, even if "
                        "another project holds it). With an S3 blob store: 307 to a "
                        "presigned URL.",
            responses={**errors(400, 401, 404, 503),
                       200: {"content": {"application/octet-stream": {}}},
                       307: {"description": "Redirect to a presigned URL."}})
def download(entity: Entity, project: Project, digest: Digest, caller: CanReadProject,
             store: ArtifactStore, blobs: Blobs, settings: Settings) -> Response:
    if (entity, project) not in store.blob_readable_in(digest):
        raise NotFoundError(f"no blob {digest} in the artifacts of {entity}/{project}")
    if settings.presign and isinstance(blobs, PresigningBlobStore):
        return RedirectResponse(blobs.presign_get(digest, expires=3600), status_code=307)
    size = blobs.size(digest)
    if size is None:
        raise NotFoundError(f"blob {digest} is indexed but missing from the blob store; "
                            "log the artifact again to restore it")
    stream = blobs.open(digest)

    def chunks() -> Any:
        with stream:
            while chunk := stream.read(1 << 20):
                yield chunk

    return StreamingResponse(chunks(), media_type="application/octet-stream",
                             headers={"Content-Length": str(size),
                                      "Content-Encoding": "identity"})  # never gzipped


@router.post("/gc", summary="Delete blobs no artifact version holds (site admins)",
             description="Blobs stored less than `min_age` seconds ago (default 3600) "
                         "are kept: they may belong to a log still uploading. Partial "
                         "uploads untouched for a day (or `min_age`, if longer) go too. "
                         "With `dry_run` (the default) only counts them.",
             responses=errors(401, 403, 503))
def collect_garbage(request: Request, auth: Authorized, store: ArtifactStore, blobs: Blobs,
                    settings: Settings, dry_run: bool = True,
                    min_age: Annotated[float, Query(ge=0, le=1e9)] = 3600.0) -> Response:
    auth.require_admin()
    unused = store.unreferenced_blobs(min_age=min_age)
    cutoff = time.time() - max(min_age, 86400.0)  # partial uploads abandoned for a day
    stale = [p for p in upload_dir(settings, blobs).glob("*.part")
             if p.stat().st_mtime < cutoff]
    if not dry_run:
        for digest, _size in unused:
            blobs.delete(digest)
        store.forget_blobs([d for d, _ in unused])
        for part in stale:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
    return respond(request, {"blobs": len(unused), "bytes": sum(s for _, s in unused),
                             "partial_uploads": len(stale), "deleted": not dry_run})
