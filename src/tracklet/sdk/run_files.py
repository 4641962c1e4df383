"""``tracklet.save``: files kept with a run (checkpoints' configs, logs, outputs).

A run's saved files are the versions of its artifact ``run-<run id>-files`` (type
``run-files``), so they are uploaded, deduplicated and downloaded like any artifact: a new
version only when a file changed. ``policy="now"`` uploads at once, ``"end"`` when the run
finishes, ``"live"`` (the default) both, so a file that keeps growing is saved again at the
end. ``Api().run(path).files()`` and ``GET /api/v1/runs/{entity}/{project}/{run_id}/files``
list them.
"""

from __future__ import annotations

import glob
import os
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tracklet.errors import ValidationError
from tracklet.sdk.termlog import termwarn
from tracklet.store.artifacts import RUN_FILES_TYPE, run_files_artifact

if TYPE_CHECKING:
    from tracklet.sdk.artifacts import Artifact
    from tracklet.sdk.run import Run

POLICIES = ("live", "now", "end")


def save(glob_str: str | os.PathLike[str], base_path: str | os.PathLike[str] | None = None,
         policy: str = "live") -> list[str]:
    """``run.save`` of the current run (W&B's ``wandb.save``)."""
    from tracklet.errors import NotInitializedError
    from tracklet.sdk.session import current_run

    run = current_run()
    if run is None:
        raise NotInitializedError("save() needs a run: call tracklet.init() first")
    return run.save(glob_str, base_path, policy)


def restore(name: str, run_path: str | None = None, replace: bool = False,
            root: str | os.PathLike[str] | None = None) -> IO[str] | None:
    """W&B's ``wandb.restore``: the file ``name`` a run saved, downloaded into ``root``
    (default: the current run's directory, else the working directory) unless it is there
    already (``replace=True`` fetches it again), opened for reading; None when the run
    saved no such file. ``run_path`` (``entity/project/run_id``) defaults to the current
    run."""
    from tracklet.errors import NotFoundError, NotInitializedError
    from tracklet.sdk.api import Api
    from tracklet.sdk.session import current_run

    run = current_run()
    if run_path is None:
        if run is None:
            raise NotInitializedError("restore() needs run_path='entity/project/run_id' or "
                                      "a run: call tracklet.init() first")
        run_path = run.path
    folder = Path(root) if root is not None else Path(run.dir) if run is not None \
        else Path.cwd()
    target = folder / name
    if replace or not target.is_file():
        settings = run.settings if run is not None else None
        if settings is not None and settings.mode == "online":
            api = Api(settings.base_url, api_key=settings.api_key or None)
        else:
            api = Api(settings=settings)
        with api:
            try:
                entry = api.run(run_path).file(name)
            except NotFoundError:
                return None
            target = Path(entry.download(folder))
    return target.open(encoding="utf-8")


class RunFiles:
    """The files one run saved, by name inside the run. Uploads go one after another on a
    thread of their own, so the versions follow the order of the saves and the last one
    is ``latest``."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.files: dict[str, Path] = {}
        self.at_end = False  # save again when the run finishes
        run.add_stopper(self.finish)
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future[None]] = []

    def save(self, glob_str: str | os.PathLike[str], base_path: str | os.PathLike[str] | None,
             policy: str) -> list[str]:
        if policy not in POLICIES:
            raise ValidationError(f"policy must be one of {', '.join(POLICIES)}; got "
                                  f"{policy!r}")
        pattern = os.path.abspath(os.fspath(glob_str))
        base = os.path.abspath(os.fspath(base_path)) if base_path is not None \
            else os.path.dirname(pattern)
        matched = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        if not matched:
            termwarn(f"save({os.fspath(glob_str)!r}): no file matches (yet); nothing saved")
            return []
        names = []
        for path in matched:
            name = os.path.relpath(path, base).replace(os.sep, "/")
            if name.startswith("../"):
                raise ValidationError(f"{path} is not under base_path {base}: pass a "
                                      "base_path that contains the files")
            names.append(name)
        self.files.update(zip(names, map(Path, matched)))
        if policy in ("now", "live"):
            self.upload()
        if policy in ("end", "live"):
            self.at_end = True
        return names

    def upload(self) -> None:
        """Store the saved files (those still there) as the run's next files version, in
        the background."""
        from tracklet.sdk.artifacts import Artifact

        present = {name: path for name, path in self.files.items() if path.is_file()}
        if not present or self.run.disabled:
            return
        artifact = Artifact(run_files_artifact(self.run.id), RUN_FILES_TYPE,
                            description=f"files saved by run {self.run.id}")
        for name, path in present.items():
            artifact.add_file(path, name=name)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="tracklet-run-files")
        self._futures.append(self._pool.submit(self._store, artifact))

    def _store(self, artifact: Artifact) -> None:
        from tracklet.sdk.artifacts.client import context_for, store_artifact

        run = self.run
        ctx = context_for(run.settings)
        info = store_artifact(ctx, artifact, run.entity, run.project, run_id=run.id)
        if "latest" not in info.aliases:  # the same files as an older version: it is current
            ctx.backend.set_alias(info, "latest")

    def finish(self) -> None:
        """Save the files once more (``end``, ``live``) and wait for the uploads, within
        the run's finish timeout."""
        if self.at_end:
            self.upload()
        limit = self.run.settings.finish_timeout
        _done, late = wait_futures(self._futures, timeout=limit)
        failed = [f.exception() for f in self._futures if f not in late and f.exception()]
        if late:
            termwarn(f"run {self.run.id}: saved files are still uploading after {limit:.0f} "
                     "s; they go on in the background until the process exits")
        elif failed:
            termwarn(f"run {self.run.id}: saved files could not be stored: {failed[-1]}")
        if self._pool is not None:
            self._pool.shutdown(wait=False)
