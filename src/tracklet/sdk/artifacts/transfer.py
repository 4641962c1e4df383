"""Moving an artifact's files: hash and upload (parallel, deduplicated, resumable), and
download into a folder through the local cache (parallel, verified).

Uploads skip every blob the backend already holds (asked in one batch), so re-logging
unchanged files sends nothing, and a killed upload sends only what was not finished.
Downloads verify each blob's sha256 before it enters the cache or the target folder and
name the file whose bytes are wrong.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tracklet.errors import TrackletError, ValidationError
from tracklet.sdk.artifacts.backend import ArtifactBackend
from tracklet.sdk.artifacts.cache import DownloadCache
from tracklet.sdk.artifacts.digests import DigestCache, hash_file
from tracklet.sdk.artifacts.progress import ByteProgress
from tracklet.store.artifacts import ArtifactVersionInfo, ManifestEntry, check_file_path
from tracklet.store.blobs.local import write_atomically

THREADS = 8  # parallel transfers; TRACKLET_ARTIFACT_THREADS overrides
GROUP_FILES = 256  # hashed files asked about (and sent) together, while the rest hash
GROUP_BYTES = 64 * 1024 * 1024


def default_threads() -> int:
    raw = os.environ.get("TRACKLET_ARTIFACT_THREADS", "")
    return max(1, int(raw)) if raw.isdigit() else THREADS
T = TypeVar("T")
R = TypeVar("R")


class ArtifactCorruptedError(TrackletError):
    """Bytes that do not match the manifest: a damaged blob, cache or downloaded file."""

    code = "artifact_corrupted"
    status = 409


@dataclass
class TransferStats:
    """What a log or download did: files seen, sent or fetched, and reused."""

    files: int = 0
    bytes: int = 0
    transferred_files: int = 0
    transferred_bytes: int = 0
    reused_files: int = 0
    digests: dict[str, str] = field(default_factory=dict)

    def summary(self, verb: str) -> str:
        return (f"{self.files} files ({_size(self.bytes)}): {verb} {self.transferred_files} "
                f"({_size(self.transferred_bytes)}), {self.reused_files} already there")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1000  # type: ignore[assignment]
    return f"{n} B"


def parallel(fn: Callable[[T], R], items: Iterable[T], threads: int | None = None) -> list[R]:
    """``fn`` over ``items`` on ``threads`` threads; the first error is raised."""
    work = list(items)
    threads = default_threads() if threads is None else threads
    if len(work) <= 1 or threads <= 1:
        return [fn(item) for item in work]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tracklet-artifact") as pool:
        return list(pool.map(fn, work))


def upload_files(backend: ArtifactBackend, entity: str, project: str,
                 files: Mapping[str, Path], digests: DigestCache, *,
                 threads: int | None = None, show_progress: bool | None = None
                 ) -> tuple[list[ManifestEntry], TransferStats]:
    """Hash ``files`` (artifact path -> local file) and store the blobs the backend lacks."""
    stats = TransferStats(files=len(files))
    full = {name: os.path.abspath(path) for name, path in files.items()}
    before = {name: os.stat(path) for name, path in full.items()}
    stats.bytes = sum(st.st_size for st in before.values())
    known = digests.lookup_many([(full[name], st) for name, st in before.items()])
    ingest: Callable[..., tuple[str, int]] | None = getattr(backend, "ingest_file", None)
    ingested: set[str] = set()
    learned: list[tuple[str, os.stat_result, str]] = []  # into the digest cache, at once

    names = sorted(files)
    asked: set[str] = set()  # digests whose upload is settled or under way
    todo: list[tuple[str, Path, int]] = []
    with ByteProgress("hashing", stats.bytes, enabled=show_progress) as bar, \
            ThreadPoolExecutor(threads or default_threads(),
                               thread_name_prefix="tracklet-hash") as hashers, \
            ThreadPoolExecutor(threads or default_threads(),
                               thread_name_prefix="tracklet-upload") as senders:
        upload_bar = bar.second("uploading")

        def hash_one(name: str) -> tuple[str, str, int]:
            path, st = full[name], before[name]
            found = known.get(path)
            if found is not None:
                bar.advance(st.st_size)
                return name, found, st.st_size
            if ingest is not None:  # local store: hash while copying, one read
                digest, size = ingest(Path(path), bar.advance, record=False)
                ingested.add(name)
            else:
                digest, size = hash_file(path, bar.advance)
            after = os.stat(path)
            if (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
                learned.append((path, after, digest))
            return name, digest, size

        def send(group: list[tuple[str, str, int]]) -> list[Future[None]]:
            """Ask which blobs of ``group`` the backend lacks and start sending those
            (while the next files are still being hashed)."""
            fresh: dict[str, tuple[str, int]] = {}
            for name, digest, size in group:
                if name not in ingested and digest not in asked:
                    asked.add(digest)
                    fresh[digest] = (name, size)
            if not fresh:
                return []
            lacking = backend.missing(entity, project, list(fresh))
            found = [(d, files[fresh[d][0]], fresh[d][1]) for d in lacking]
            todo.extend(found)
            upload_bar.grow(sum(size for _, _, size in found))
            return [senders.submit(_upload_batch, backend, entity, project, batch,
                                   upload_bar.advance)
                    for batch in _batches(backend, found)]

        hashing = [hashers.submit(hash_one, name) for name in names]
        sending: list[Future[None]] = []
        hashed: list[tuple[str, str, int]] = []
        try:
            group: list[tuple[str, str, int]] = []
            held = 0
            for future in hashing:  # in order; a group goes up once it is hashed
                hashed.append(future.result())
                group.append(hashed[-1])
                held += hashed[-1][2]
                if held >= GROUP_BYTES or len(group) >= GROUP_FILES:
                    sending += send(group)
                    group, held = [], 0
            sending += send(group)
            for sent in sending:
                sent.result()
        except BaseException:
            for waiting in hashing:
                waiting.cancel()
            for queued in sending:
                queued.cancel()
            raise
    digests.store_many(learned)
    recorder: Callable[[list[tuple[str, int]]], None] | None = getattr(
        backend, "record_blobs", None)
    if ingested and recorder is not None:  # one transaction for all the local store took
        recorder(list({d: s for n, d, s in hashed if n in ingested}.items()))
    entries = [ManifestEntry(name, digest, size) for name, digest, size in hashed]
    for name, digest, size in hashed:
        stats.digests[name] = digest
        if name in ingested:
            stats.transferred_files += 1
            stats.transferred_bytes += size
    stats.reused_files = stats.files - stats.transferred_files - len(todo)
    stats.transferred_files += len(todo)
    stats.transferred_bytes += sum(s for _, _, s in todo)
    return entries, stats


def _upload_batch(backend: ArtifactBackend, entity: str, project: str,
                  batch: list[tuple[str, Path, int]], advance: Callable[[int], None]) -> None:
    if len(batch) > 1:
        backend.upload_batch(entity, project, batch, advance)  # type: ignore[attr-defined]
        return
    digest, path, size = batch[0]
    backend.upload(entity, project, digest, path, size, advance)


def send_blobs(backend: ArtifactBackend, entity: str, project: str,
               todo: list[tuple[str, Path, int]], *, threads: int | None = None,
               show_progress: bool | None = None) -> None:
    """Store ``todo`` (digest, local file, size), blobs the backend said it lacks: small
    ones several to a request when it can take them so, on ``threads`` threads."""
    with ByteProgress("uploading", sum(s for _, _, s in todo), enabled=show_progress) as bar:
        parallel(lambda batch: _upload_batch(backend, entity, project, batch, bar.advance),
                 _batches(backend, todo), threads)


def _batches(backend: ArtifactBackend, todo: list[tuple[str, Path, int]]
             ) -> list[list[tuple[str, Path, int]]]:
    """Small blobs grouped several to a request when the backend can take them so (a
    round trip each would cost more than their bytes), the others one by one."""
    batchable: Callable[[str, int], bool] | None = getattr(backend, "batchable", None)
    if batchable is None:
        return [[item] for item in todo]
    from tracklet.sdk.artifacts.http_backend import BATCH_BLOBS, CHUNK

    out: list[list[tuple[str, Path, int]]] = []
    current: list[tuple[str, Path, int]] = []
    held = 0
    for item in todo:
        if not batchable(item[0], item[2]):
            out.append([item])
            continue
        if current and (held + item[2] > CHUNK or len(current) >= BATCH_BLOBS):
            out.append(current)
            current, held = [], 0
        current.append(item)
        held += item[2]
    if current:
        out.append(current)
    return out


def safe_target(root: Path, path: str, checked: dict[Path, bool] | None = None) -> Path:
    """``root / path``, refusing anything that would land outside ``root`` (``checked``
    remembers folders already resolved, for many files at once)."""
    check_file_path(path)
    target = root / path
    parent = target.parent
    if checked is None or parent not in checked:
        real_root = os.path.realpath(root)
        real_parent = os.path.realpath(parent)
        inside = os.path.commonpath([real_root, real_parent]) == real_root
        if checked is not None:
            checked[parent] = inside
    else:
        inside = checked[parent]
    if not inside:
        raise ValidationError(f"artifact file {path!r} would be written outside {root} "
                              "(through a symbolic link); download into an empty folder")
    return target


def download_files(backend: ArtifactBackend, version: ArtifactVersionInfo,
                   entries: list[ManifestEntry], root: Path, cache: DownloadCache | None,
                   digests: DigestCache, *, threads: int | None = None,
                   show_progress: bool | None = None) -> TransferStats:
    """Make ``root`` hold every file of ``entries``; files already there and unchanged
    (by the digest cache) are kept. Blobs come on ``threads`` threads; small ones several
    to a request when the backend can send them so (``fetch_blobs``)."""
    from tracklet.sdk.artifacts.references import fetch_reference

    stats = TransferStats(files=len(entries), bytes=sum(e.size or 0 for e in entries))
    root.mkdir(parents=True, exist_ok=True)
    targets = {e.path: root / check_file_path(e.path) for e in entries}
    for parent in {t.parent for t in targets.values()}:
        parent.mkdir(parents=True, exist_ok=True)
    checked: dict[Path, bool] = {}
    for e in entries:  # checked now that the folders exist (a symlink cannot lead out)
        safe_target(root, e.path, checked)
    todo: list[ManifestEntry] = []
    present = digests.lookup_many([(str(t.absolute()), st) for t, st in _stats(targets)])
    for entry in entries:
        if entry.digest is not None and \
                present.get(str(targets[entry.path].absolute())) == entry.digest:
            stats.reused_files += 1
            continue
        todo.append(entry)
    fetched: dict[str, bool] = {}  # artifact path -> its blob came over the network
    learned: list[tuple[str, os.stat_result, str]] = []

    def place(entry: ManifestEntry, source: Path) -> None:
        target = targets[entry.path]
        if source != target:
            write_atomically(target, source=source)
        full = str(target.absolute())
        learned.append((full, os.stat(full), entry.digest or ""))

    def corrupted(entry: ManifestEntry, got: str | None) -> ArtifactCorruptedError:
        return ArtifactCorruptedError(
            f"{entry.path} of {version.qualified_name} is corrupted in {backend.where}: its "
            f"bytes hash to {got}, the manifest says {entry.digest}")

    with ByteProgress("downloading", sum(e.size or 0 for e in todo),
                      enabled=show_progress) as bar:
        def fetch_one(entry: ManifestEntry) -> None:
            target = targets[entry.path]
            if entry.digest is None:
                tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
                try:
                    fetch_reference(entry, tmp)
                    os.replace(tmp, target)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()
                bar.advance(entry.size or 0)
                fetched[entry.path] = True
                return
            cached = cache.get(entry.digest, entry.size) if cache is not None else None
            fetched[entry.path] = cached is None
            if cached is None:
                where = cache.path(entry.digest) if cache is not None else target
                tmp = (cache.temp_path(entry.digest) if cache is not None else
                       target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp"))
                try:
                    got = backend.fetch_blob(version, entry.digest, tmp, bar.advance)
                    if got != entry.digest:
                        raise corrupted(entry, got)
                    os.replace(tmp, where)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()
                cached = where
            place(entry, cached)

        def fetch_group(group: list[ManifestEntry]) -> None:
            if len(group) == 1:
                fetch_one(group[0])
                return
            assert cache is not None and fetch_blobs is not None
            blobs = [(e, str(e.digest)) for e in group]  # small blobs all have a digest
            tmps = {digest: cache.temp_path(digest) for _, digest in blobs}
            try:
                got = fetch_blobs(version, [(d, e.size) for e, d in blobs], tmps,
                                  bar.advance)
                for e, digest in blobs:
                    if got.get(digest) != digest:
                        raise corrupted(e, got.get(digest))
                    os.replace(tmps[digest], cache.path(digest))
            finally:
                for tmp in tmps.values():
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()
            for e, digest in blobs:
                fetched[e.path] = True
                place(e, cache.path(digest))

        fetch_blobs: Callable[..., dict[str, str]] | None = (
            getattr(backend, "fetch_blobs", None) if cache is not None else None)
        groups, later = _download_groups(todo, cache, fetch_blobs is not None)
        try:
            parallel(fetch_group, groups, threads)
            parallel(fetch_one, later, threads)  # the same blob under another name: cached
        finally:
            digests.store_many([row for row in learned if row[2]])
    stats.transferred_files = sum(1 for e in todo if fetched.get(e.path))
    stats.transferred_bytes = sum(e.size or 0 for e in todo if fetched.get(e.path))
    stats.reused_files += len(todo) - stats.transferred_files
    return stats


def _stats(targets: Mapping[str, Path]) -> list[tuple[Path, os.stat_result]]:
    out = []
    for target in targets.values():
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            out.append((target, target.stat()))
    return out


def _download_groups(todo: list[ManifestEntry], cache: DownloadCache | None,
                     batches: bool) -> tuple[list[list[ManifestEntry]], list[ManifestEntry]]:
    """The entries to fetch, small blobs grouped several to a request (when ``batches``),
    and those whose blob another entry fetches (``later``, from the cache)."""
    from tracklet.sdk.artifacts.http_backend import BATCH_BLOBS, CHUNK, SMALL

    groups: list[list[ManifestEntry]] = []
    later: list[ManifestEntry] = []
    seen: set[str] = set()
    current: list[ManifestEntry] = []
    held = 0
    for entry in todo:
        if entry.digest is not None:
            if entry.digest in seen:
                later.append(entry)
                continue
            seen.add(entry.digest)
        small = (batches and cache is not None and entry.digest is not None
                 and entry.size is not None and entry.size <= SMALL
                 and cache.get(entry.digest, entry.size) is None)
        if not small:
            groups.append([entry])
            continue
        size = entry.size or 0
        if current and (held + size > CHUNK or len(current) >= BATCH_BLOBS):
            groups.append(current)
            current, held = [], 0
        current.append(entry)
        held += size
    if current:
        groups.append(current)
    return groups, later


def verify_files(entries: list[ManifestEntry], root: Path,
                 threads: int | None = None) -> None:
    """Hash every file under ``root`` (no cache) against ``entries``; the first mismatch
    raises ``ArtifactCorruptedError`` naming the file."""
    def check(entry: ManifestEntry) -> str | None:
        target = safe_target(root, entry.path)
        if not target.is_file():
            return f"{entry.path} is missing from {root}"
        expected = entry.digest or (entry.extra or {}).get("sha256")
        if expected is None:
            return None
        got, _ = hash_file(target)
        if got != expected:
            return (f"{entry.path} in {root} does not match the manifest (sha256 {got}, "
                    f"expected {expected})")
        return None

    problems = [p for p in parallel(check, entries, threads) if p]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ArtifactCorruptedError(problems[0] + more, details={"problems": problems[:100]})


