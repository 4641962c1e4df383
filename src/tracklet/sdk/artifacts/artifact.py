"""``Artifact``: a versioned set of files (a dataset, a model), W&B-shaped.

    art = tracklet.Artifact("mnist", type="dataset", metadata={"rows": 70000})
    art.add_dir("data/")
    run.log_artifact(art, aliases=["best"])      # hashes and uploads on a background thread
    art.wait()                                   # optional: block until it is stored

    art = run.use_artifact("mnist:latest")       # records lineage
    path = art.download()

Before it is logged an artifact only collects files (nothing is read until then); after
``wait()`` it carries its version, digest and aliases and can be downloaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tracklet.errors import UsageError, ValidationError
from tracklet.store.artifacts import (
    ArtifactVersionInfo,
    ManifestEntry,
    check_artifact_name,
    check_artifact_type,
    check_file_path,
)

if TYPE_CHECKING:
    from tracklet.sdk.artifacts.backend import ArtifactBackend
    from tracklet.sdk.artifacts.client import ArtifactContext
    from tracklet.sdk.artifacts.transfer import TransferStats


class ArtifactEntry:
    """One file of a logged artifact (``artifact.get_path(name)``)."""

    def __init__(self, artifact: Artifact, entry: ManifestEntry) -> None:
        self._artifact = artifact
        self.path = entry.path
        self.digest = entry.digest
        self.size = entry.size
        self.ref = entry.ref
        self._entry = entry

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download this file alone; its local path."""
        return self._artifact._download([self._entry], root)[self.path]

    def __repr__(self) -> str:
        return f"<ArtifactEntry {self.path} ({self.size} bytes)>"


class Artifact:
    """A versioned set of files. See the module docstring."""

    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        self.name = check_artifact_name(name)
        self.type = check_artifact_type(type)
        self.description = description
        if metadata is not None and not isinstance(metadata, dict):
            raise ValidationError("metadata must be a dict")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._files: dict[str, Path] = {}
        self._refs: dict[str, ManifestEntry] = {}
        self._tmp: Path | None = None
        self._info: ArtifactVersionInfo | None = None
        self._entries: list[ManifestEntry] | None = None
        self._future: Future[ArtifactVersionInfo] | None = None
        self._context: ArtifactContext | None = None
        self.stats: TransferStats | None = None

    # -- collecting files --------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._future is not None or self._info is not None:
            raise UsageError(f"artifact {self.name} is already logged; make a new Artifact "
                             "to log other files")

    def _add(self, name: str, path: Path) -> None:
        check_file_path(name)
        if name in self._files or name in self._refs:
            raise ValidationError(f"artifact {self.name} already has a file named {name!r}")
        self._files[name] = path

    def add_file(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add one file, as ``name`` (default: its file name)."""
        self._check_open()
        path = Path(local_path)
        if not path.is_file():
            raise ValidationError(f"cannot add {local_path}: it is not a file")
        self._add(name if name is not None else path.name, path.absolute())

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None) -> None:
        """Add every file under a folder, under ``name/`` (default: at the top)."""
        self._check_open()
        root = Path(local_path)
        if not root.is_dir():
            raise ValidationError(f"cannot add {local_path}: it is not a folder")
        prefix = "" if not name else check_file_path(name.strip("/")) + "/"
        for dirpath, _dirs, filenames in os.walk(root):
            for filename in filenames:
                full = Path(dirpath) / filename
                if full.is_file():
                    rel = full.relative_to(root).as_posix()
                    self._add(prefix + rel, full.absolute())

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "w",
                 encoding: str | None = None) -> Iterator[IO[Any]]:
        """Write a new file into the artifact: ``with art.new_file("a.txt") as f: ...``."""
        self._check_open()
        check_file_path(name)
        if "w" not in mode and "x" not in mode:
            raise ValidationError("new_file needs a writing mode such as 'w' or 'wb'")
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="tracklet-artifact-"))
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        path = self._tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs = {} if "b" in mode else {"encoding": encoding or "utf-8"}
        with open(path, mode, **kwargs) as handle:  # type: ignore[call-overload]
            yield handle
        self._add(name, path)

    def add_reference(self, uri: str, name: str | None = None, checksum: bool = True) -> None:
        """Reference a ``file://``, ``s3://`` or ``http(s)://`` object that stays where it
        is; ``checksum`` records its sha256 or ETag so a changed object is noticed."""
        from tracklet.sdk.artifacts.digests import hash_file
        from tracklet.sdk.artifacts.references import resolve_reference

        self._check_open()
        for entry in resolve_reference(uri, name, checksum, hash_file):
            if entry.path in self._files or entry.path in self._refs:
                raise ValidationError(f"artifact {self.name} already has a file named "
                                      f"{entry.path!r}")
            self._refs[entry.path] = entry

    # -- after logging -----------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the artifact is stored (or raise what went wrong)."""
        if self._future is not None:
            self._future.result(timeout)
        return self

    def _logged(self) -> ArtifactVersionInfo:
        if self._future is not None and self._info is None:
            self.wait()
        if self._info is None:
            raise UsageError(f"artifact {self.name} is not logged yet: log it with "
                             "run.log_artifact(artifact), or fetch one with use_artifact")
        return self._info

    def _set_logged(self, info: ArtifactVersionInfo, entries: list[ManifestEntry] | None,
                    context: ArtifactContext) -> None:
        self._info = info
        self._entries = entries
        self._context = context
        self.description = info.description
        self.metadata = dict(info.metadata)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @property
    def version(self) -> str:
        return self._logged().version_name

    @property
    def aliases(self) -> list[str]:
        return list(self._logged().aliases)

    @property
    def digest(self) -> str:
        return self._logged().digest

    @property
    def size(self) -> int:
        return self._logged().size

    @property
    def qualified_name(self) -> str:
        return self._logged().qualified_name

    @property
    def source_name(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def state(self) -> str:
        if self._info is not None:
            return "COMMITTED"
        return "PENDING"

    @property
    def logged_by(self) -> str | None:
        """The path ``entity/project/run_id`` of the run that logged this version."""
        info = self._logged()
        return None if info.run_id is None else f"{info.entity}/{info.project}/{info.run_id}"

    def used_by(self) -> list[str]:
        """Paths of the runs that used this version."""
        graph = self.lineage()
        return [f"{n['entity']}/{n['project']}/{n['run_id']}" for n in graph["nodes"]
                if n["kind"] == "run" and any(
                    e["target"] == n["id"] and e["kind"] == "used" for e in graph["edges"])]

    def lineage(self) -> dict[str, Any]:
        """The lineage graph around this version: ``{"nodes": [...], "edges": [...]}``."""
        return self._backend().lineage(self._logged())

    def _backend(self) -> ArtifactBackend:
        self._logged()
        assert self._context is not None
        return self._context.backend

    def manifest(self) -> list[ManifestEntry]:
        """The files of the logged version, sorted by path."""
        if self._entries is None:
            self._entries = self._backend().list_files(self._logged())
        return list(self._entries)

    def files(self) -> list[ArtifactEntry]:
        return [ArtifactEntry(self, e) for e in self.manifest()]

    def get_path(self, name: str) -> ArtifactEntry:
        """The entry of one file; ``.download()`` fetches it."""
        for entry in self.manifest():
            if entry.path == name:
                return ArtifactEntry(self, entry)
        raise ValidationError(f"artifact {self.qualified_name} has no file {name!r}")

    def default_root(self) -> Path:
        self._logged()
        assert self._context is not None
        return self._context.root / "artifacts" / f"{self.name}-{self.version}"

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download every file into ``root`` (default ``<dir>/artifacts/NAME-vN``); the
        folder's path. Files already there and unchanged are kept; blobs come from the
        local cache when they can."""
        self._download(self.manifest(), root)
        return str(self._root(root))

    def _root(self, root: str | os.PathLike[str] | None) -> Path:
        return Path(root) if root is not None else self.default_root()

    def _download(self, entries: list[ManifestEntry],
                  root: str | os.PathLike[str] | None) -> dict[str, str]:
        from tracklet.sdk.artifacts.transfer import download_files

        info = self._logged()
        assert self._context is not None
        folder = self._root(root)
        self.stats = download_files(self._context.backend, info, entries, folder,
                                    self._context.download_cache(), self._context.digests,
                                    show_progress=self._context.show_progress)
        if self.stats.transferred_files:  # only new blobs can push the cache over
            self._context.clean_cache()
        return {e.path: str(folder / e.path) for e in entries}

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Hash every downloaded file under ``root`` again (no cache) and compare with the
        manifest; ``ArtifactCorruptedError`` names the first file that differs."""
        from tracklet.sdk.artifacts.transfer import verify_files

        verify_files(self.manifest(), self._root(root))

    # -- aliases -----------------------------------------------------------------------------

    def add_alias(self, alias: str) -> None:
        """Point ``alias`` at this version (it leaves any other version of the collection)."""
        self._info = self._backend().set_alias(self._logged(), alias)

    def remove_alias(self, alias: str) -> None:
        self._info = self._backend().remove_alias(self._logged(), alias)

    def delete(self) -> None:
        """Delete this version; its blobs go at the next ``tracklet gc``."""
        self._backend().delete_version(self._logged())

    def __repr__(self) -> str:
        if self._info is not None:
            return f"<Artifact {self._info.qualified_name} ({self.type})>"
        return f"<Artifact {self.name} ({self.type}, not logged)>"
