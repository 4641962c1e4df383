"""Where artifacts go: ``ArtifactBackend`` and its local implementation.

``LocalBackend`` keeps blobs under ``<TRACKLET_DIR>/artifacts/blobs`` and metadata in the
local SQLite store (``tracklet.db``); ``HttpBackend`` (``http_backend``) talks to a
server. The SDK's artifact code sees only this protocol.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from tracklet.errors import NotFoundError
from tracklet.store.artifacts import ArtifactVersionInfo, CollectionInfo, ManifestEntry

Progress = Callable[[int], None]


class ArtifactBackend(Protocol):
    """The operations the SDK needs, against the local store or a server."""

    where: str

    def missing(self, entity: str, project: str, digests: Sequence[str]) -> list[str]: ...

    def upload(self, entity: str, project: str, digest: str, path: Path, size: int,
               progress: Progress | None = None) -> None: ...

    def commit(self, entity: str, project: str, name: str, type: str,
               entries: Sequence[ManifestEntry], *, description: str | None,
               metadata: dict[str, Any], aliases: Sequence[str], run_id: str | None,
               digest: str) -> tuple[ArtifactVersionInfo, bool]: ...

    def get_version(self, entity: str, project: str, name: str,
                    alias: str) -> ArtifactVersionInfo: ...

    def list_files(self, version: ArtifactVersionInfo) -> list[ManifestEntry]: ...

    def list_versions(self, entity: str, project: str,
                      name: str) -> list[ArtifactVersionInfo]: ...

    def list_collections(self, entity: str, project: str,
                         type: str | None = None) -> list[CollectionInfo]: ...

    def fetch_blob(self, version: ArtifactVersionInfo, digest: str, dest: Path,
                   progress: Progress | None = None) -> str:
        """Write the blob's bytes to ``dest``; the sha256 of what was written (the caller
        compares it with ``digest``)."""
        ...

    def record_usage(self, version: ArtifactVersionInfo, entity: str, project: str,
                     run_id: str) -> None: ...

    def set_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo: ...

    def remove_alias(self, version: ArtifactVersionInfo,
                     alias: str) -> ArtifactVersionInfo: ...

    def delete_version(self, version: ArtifactVersionInfo) -> None: ...

    def lineage(self, version: ArtifactVersionInfo) -> dict[str, Any]: ...

    def run_artifacts(self, entity: str, project: str, run_id: str
                      ) -> tuple[list[ArtifactVersionInfo], list[ArtifactVersionInfo]]: ...

    def close(self) -> None: ...


class LocalBackend:
    """Artifacts in the local directory: blobs on disk, metadata in ``tracklet.db``."""

    def __init__(self, root: str | os.PathLike[str], store_url: str | None = None) -> None:
        from tracklet.store.blobs.local import LocalBlobStore
        from tracklet.store.sql.artifacts import SqlArtifactStore

        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        url = store_url or f"sqlite:///{(self.root / 'tracklet.db').absolute()}"
        self.blobs = LocalBlobStore(self.root / "artifacts" / "blobs")
        self.store = SqlArtifactStore(url)
        self.where = f"the local directory {self.root}"

    def ingest_file(self, path: Path, progress: Progress | None = None, *,
                    record: bool = True) -> tuple[str, int]:
        """Hash ``path`` while copying it into the blob store (one read); its digest.
        Without ``record`` the caller indexes it (``record_blobs``, in one batch)."""
        from tracklet.sdk.artifacts.digests import hash_stream

        tmp_dir = self.blobs.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"{uuid.uuid4().hex}.tmp"
        try:
            with open(path, "rb", buffering=0) as src, open(tmp, "wb") as out:
                digest, size = hash_stream(src, out=out, progress=progress)
            target = self.blobs.path(digest)
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if record:
            self.store.record_blob(digest, size)
        return digest, size

    def record_blobs(self, blobs: Sequence[tuple[str, int]]) -> None:
        self.store.record_blobs([(d, size, None) for d, size in blobs])

    def missing(self, entity: str, project: str, digests: Sequence[str]) -> list[str]:
        wanted = self.store.missing_blobs(digests)
        out = []
        for digest in wanted:  # a blob on disk but not indexed (a crash between the two)
            size = self.blobs.size(digest)
            if size is None:
                out.append(digest)
            else:
                self.store.record_blob(digest, size)
        return out

    def upload(self, entity: str, project: str, digest: str, path: Path, size: int,
               progress: Progress | None = None) -> None:
        from tracklet.errors import ConflictError

        got, _ = self.ingest_file(path, progress)
        if got != digest:
            raise ConflictError(f"{path} changed while it was being logged (its sha256 is "
                                "no longer the one hashed); log the artifact again")

    def commit(self, entity: str, project: str, name: str, type: str,
               entries: Sequence[ManifestEntry], *, description: str | None,
               metadata: dict[str, Any], aliases: Sequence[str], run_id: str | None,
               digest: str) -> tuple[ArtifactVersionInfo, bool]:
        return self.store.commit_version(entity, project, name, type, entries,
                                         description=description, metadata=metadata,
                                         aliases=aliases, run_id=run_id, digest=digest)

    def get_version(self, entity: str, project: str, name: str,
                    alias: str) -> ArtifactVersionInfo:
        return self.store.get_version(entity, project, name, alias)

    def list_files(self, version: ArtifactVersionInfo) -> list[ManifestEntry]:
        return self.store.list_files(version)

    def list_versions(self, entity: str, project: str, name: str) -> list[ArtifactVersionInfo]:
        return self.store.list_versions(entity, project, name)

    def list_collections(self, entity: str, project: str,
                         type: str | None = None) -> list[CollectionInfo]:
        return self.store.list_collections(entity, project, type)

    def fetch_blob(self, version: ArtifactVersionInfo, digest: str, dest: Path,
                   progress: Progress | None = None) -> str:
        from tracklet.sdk.artifacts.digests import hash_stream

        source = self.blobs.path(digest)
        if not source.is_file():
            raise NotFoundError(f"blob {digest} of {version.qualified_name} is missing from "
                                f"{self.blobs.uri}")
        with open(source, "rb", buffering=0) as src, dest.open("wb") as out:
            return hash_stream(src, out=out, progress=progress)[0]

    def record_usage(self, version: ArtifactVersionInfo, entity: str, project: str,
                     run_id: str) -> None:
        self.store.record_usage(version, entity, project, run_id)

    def set_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        return self.store.set_alias(version, alias)

    def remove_alias(self, version: ArtifactVersionInfo, alias: str) -> ArtifactVersionInfo:
        return self.store.remove_alias(version, alias)

    def delete_version(self, version: ArtifactVersionInfo) -> None:
        self.store.delete_version(version)

    def lineage(self, version: ArtifactVersionInfo) -> dict[str, Any]:
        return self.store.lineage(version)

    def run_artifacts(self, entity: str, project: str, run_id: str
                      ) -> tuple[list[ArtifactVersionInfo], list[ArtifactVersionInfo]]:
        return self.store.run_artifacts(entity, project, run_id)

    def close(self) -> None:
        self.store.close()
