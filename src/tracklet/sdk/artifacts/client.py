"""Logging and using artifacts from a run, the module level and ``Api``.

``log_artifact`` returns at once: the files are hashed, uploaded and committed on a
background thread (``artifact.wait()`` blocks; ``run.finish()`` waits for the run's
pending artifacts up to its timeout and warns about any that failed). Nothing here raises
into the training loop for an I/O failure; a bad argument raises at once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklet.errors import NotFoundError, NotInitializedError, ValidationError
from tracklet.sdk.artifacts.artifact import Artifact
from tracklet.sdk.artifacts.backend import ArtifactBackend, LocalBackend
from tracklet.sdk.artifacts.cache import DownloadCache, cache_dir
from tracklet.sdk.artifacts.digests import DigestCache
from tracklet.store.artifacts import (
    ArtifactRef,
    ArtifactVersionInfo,
    ManifestEntry,
    check_alias,
)

if TYPE_CHECKING:
    from tracklet.sdk.run import Run
    from tracklet.sdk.settings import Settings


class ArtifactContext:
    """A backend plus the local caches; one per (data directory, server)."""

    def __init__(self, backend: ArtifactBackend, root: Path, *,
                 show_progress: bool | None = None) -> None:
        self.backend = backend
        self.root = root
        self.cache_root = cache_dir(root=root)
        self.digests = DigestCache(self.cache_root / "digests.sqlite")
        self.show_progress = show_progress

    def download_cache(self) -> DownloadCache | None:
        """The bounded blob cache; none in local mode (the blob store is on this disk)."""
        if isinstance(self.backend, LocalBackend):
            return None
        return DownloadCache(self.cache_root)

    def clean_cache(self) -> None:
        cache = self.download_cache()
        if cache is not None:
            cache.clean()



_pool: list[ThreadPoolExecutor] = []  # the process's artifact threads, made on first use
_pool_lock = threading.Lock()


def _submit(job: Any) -> Future[ArtifactVersionInfo]:
    with _pool_lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(max_workers=2,
                                            thread_name_prefix="tracklet-artifacts"))
        return _pool[0].submit(job)


_contexts: dict[tuple[str, ...], ArtifactContext] = {}
_contexts_lock = threading.Lock()


def context_for(settings: Settings, *, remote: bool | None = None) -> ArtifactContext:
    """The artifact context of these settings: the server in online mode (or when
    ``remote``), else the local directory (offline mode keeps artifacts there too)."""
    online = settings.mode == "online" if remote is None else remote
    root = settings.root.absolute()
    key = ("online", settings.base_url, settings.api_key, str(root)) if online \
        else ("local", str(root))
    with _contexts_lock:
        found = _contexts.get(key)
        if found is None:
            backend: ArtifactBackend
            if online:
                from tracklet.sdk.artifacts.http_backend import HttpBackend

                backend = HttpBackend(settings.base_url, settings.api_key or None)
            else:
                backend = LocalBackend(root, settings.store_url)
            found = _contexts[key] = ArtifactContext(backend, root)
        return found


def reset_contexts() -> None:
    """Close every cached context (tests, and a process that changes directories)."""
    with _contexts_lock:
        for ctx in _contexts.values():
            ctx.backend.close()
            ctx.digests.close()
        _contexts.clear()


_pending: weakref.WeakKeyDictionary[Run, list[Artifact]] = weakref.WeakKeyDictionary()


def _artifact_from_path(path: str, name: str | None, type: str | None) -> Artifact:
    local = Path(path)
    artifact = Artifact(name or local.name.replace(" ", "_") or "artifact",
                        type or "unspecified")
    if local.is_dir():
        artifact.add_dir(local)
    else:
        artifact.add_file(local)
    return artifact


def log_artifact(run: Run, artifact: Artifact | str, *, name: str | None = None,
                 type: str | None = None, aliases: Sequence[str] | None = None) -> Artifact:
    """Log ``artifact`` (or a file or folder path) as a new version of its collection, on
    a background thread. Returns the artifact; ``wait()`` blocks until it is stored."""
    if isinstance(artifact, (str, Path)):
        artifact = _artifact_from_path(str(artifact), name, type)
    if not isinstance(artifact, Artifact):
        raise ValidationError("log_artifact takes a tracklet.Artifact or a path")
    if isinstance(aliases, str):
        aliases = [aliases]
    wanted = [check_alias(a) for a in (aliases or []) if a != "latest"]
    if artifact._future is not None or artifact._info is not None:
        raise ValidationError(f"artifact {artifact.name} was logged already; make a new "
                              "Artifact for another version")
    if run.disabled:
        return artifact
    files = dict(artifact._files)
    refs = list(artifact._refs.values())
    entity, project, run_id, settings = run.entity, run.project, run.id, run.settings

    def job() -> ArtifactVersionInfo:
        ctx = context_for(settings)  # opening the store happens here, off the caller
        artifact._context = ctx
        return store_artifact(ctx, artifact, entity, project, aliases=wanted, run_id=run_id,
                              files=files, refs=refs)

    artifact._future = _submit(job)
    pending = _pending.setdefault(run, [])
    if not pending:
        run.add_stopper(lambda: wait_for_run(run))
    pending.append(artifact)
    return artifact


def store_artifact(ctx: ArtifactContext, artifact: Artifact, entity: str, project: str, *,
                   aliases: Sequence[str] = (), run_id: str | None = None,
                   files: dict[str, Path] | None = None,
                   refs: list[ManifestEntry] | None = None,
                   show_progress: bool | None = False) -> ArtifactVersionInfo:
    """Hash, upload and commit ``artifact`` now, on this thread; its version."""
    from tracklet.sdk.artifacts.transfer import upload_files
    from tracklet.store.artifacts import manifest_digest

    files = dict(artifact._files) if files is None else files
    refs = list(artifact._refs.values()) if refs is None else refs
    entries, stats = upload_files(ctx.backend, entity, project, files, ctx.digests,
                                  show_progress=show_progress)
    entries = sorted([*entries, *refs], key=lambda e: e.path)
    info, _created = ctx.backend.commit(
        entity, project, artifact.name, artifact.type, entries,
        description=artifact.description, metadata=artifact.metadata, aliases=aliases,
        run_id=run_id, digest=manifest_digest(entries))
    artifact.stats = stats
    artifact._set_logged(info, entries, ctx)
    return info


def wait_for_run(run: Run, timeout: float | None = None) -> None:
    """Wait for the run's artifacts still being logged (at most ``timeout``, default the
    run's ``finish_timeout``); warn about those that failed or are still going."""
    from tracklet.sdk.termlog import termwarn

    artifacts = _pending.pop(run, [])
    futures = [a._future for a in artifacts if a._future is not None]
    limit = run.settings.finish_timeout if timeout is None else timeout
    _done, not_done = wait_futures(futures, timeout=limit)
    for artifact in artifacts:
        future = artifact._future
        if future in not_done:
            termwarn(f"artifact {artifact.name} is still uploading after {limit:.0f} s; it "
                     "goes on in the background until the process exits")
        elif future is not None and future.exception() is not None:
            termwarn(f"artifact {artifact.name} could not be logged: {future.exception()}")


def use_artifact(run: Run | None, artifact: Artifact | str, *, type: str | None = None,
                 settings: Settings | None = None, remote: bool | None = None) -> Artifact:
    """Fetch a version by ``name[:alias|:vN]`` or ``entity/project/name:alias`` and, for a
    run, record that the run used it (lineage)."""
    if run is not None and run.disabled:
        if isinstance(artifact, Artifact):
            return artifact
        ref = ArtifactRef.parse(artifact)
        return Artifact(ref.name, type or "unspecified")
    base = run.settings if run is not None else settings
    if base is None:
        raise NotInitializedError("use_artifact needs a run: call tracklet.init() first")
    ctx = context_for(base, remote=remote)
    if isinstance(artifact, Artifact):
        info = artifact.wait()._logged()
        result = artifact
    else:
        ref = ArtifactRef.parse(artifact)
        entity = ref.entity or (run.entity if run is not None else base.entity)
        project = ref.project or (run.project if run is not None else base.project)
        try:
            info = ctx.backend.get_version(entity, project, ref.name, ref.alias)
        except NotFoundError as exc:
            if base.mode != "offline" or remote:
                raise
            raise NotFoundError(f"{exc}: in offline mode only artifacts logged in the data "
                                f"directory {base.root} can be used (as with W&B offline); "
                                "go online, or log it in this directory first") from None
        result = Artifact(info.name, info.type)
        result._set_logged(info, None, ctx)
    if type is not None and info.type != type:
        raise ValidationError(f"artifact {info.qualified_name} is of type {info.type!r}, not "
                              f"{type!r}")
    if run is not None:
        ctx.backend.record_usage(info, run.entity, run.project, run.id)
    return result


def artifact_versions(settings: Settings, remote: bool, entity: str, project: str,
                      name: str) -> list[Artifact]:
    ctx = context_for(settings, remote=remote)
    out = []
    for info in ctx.backend.list_versions(entity, project, name):
        artifact = Artifact(info.name, info.type)
        artifact._set_logged(info, None, ctx)
        out.append(artifact)
    return out
