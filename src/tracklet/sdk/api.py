"""``tracklet.Api``: reading projects, runs and their history, shaped like ``wandb.Api``.

``Api()`` reads the store under the data directory directly, or the configured server
when there is one (online mode); ``Api("http://host:port")`` reads that server through
``/api/v1``. Both go through a ``RunReader``: the local store, or ``HttpRunReader``.

Reading the local store also notices dead runs: a ``running`` run whose process is gone
(same host) or whose heartbeat is older than ``heartbeat_timeout`` has its leftover run
log shipped and is marked ``crashed`` (a server does this itself).
"""

from __future__ import annotations

import bisect
import itertools
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from tracklet.errors import UsageError
from tracklet.sdk.settings import Settings
from tracklet.store.base import (
    ConsoleLine,
    MediaReader,
    MetadataStore,
    Page,
    ProjectInfo,
    RunFilter,
    RunInfo,
    RunRef,
    Series,
)
from tracklet.store.query import parse_filters, parse_order

if TYPE_CHECKING:
    from tracklet.sdk.http_api import HttpRunReader

SCAN_BLOCK = 20_000  # steps read per query by scan_history

class RunReader(Protocol):
    """What the read API needs: the read side of a ``MetadataStore``, also offered by a
    server (``HttpRunReader``)."""

    def list_projects(self, entity: str | None = None) -> list[ProjectInfo]: ...

    def get_run(self, run: RunRef) -> RunInfo: ...

    def list_runs(self, entity: str, project: str, *, filters: Sequence[RunFilter] = (),
                  order: Sequence[str] = ("-created_at",), limit: int = 100,
                  cursor: str | None = None) -> Page: ...

    def list_metric_keys(self, run: RunRef, *,
                         kind: Literal["history", "system"]) -> list[str]: ...

    def read_series(self, run: RunRef, keys: Sequence[str], *, min_step: int | None = None,
                    max_step: int | None = None, limit: int | None = None) -> list[Series]:
        ...

    def read_console(self, run: RunRef, *, offset: int = 0, limit: int = 1000,
                     search: str | None = None) -> list[ConsoleLine]: ...

    def close(self) -> None: ...


class Api:
    """Read access to runs. ``Api()`` reads ``TRACKLET_DIR`` (default ``./tracklet``), or
    the configured server in online mode; ``Api("http://host:port")`` reads that server
    (with ``api_key``, else ``TRACKLET_API_KEY`` or the key ``tracklet login`` stored)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 overrides: Mapping[str, Any] | None = None, timeout: float | None = None,
                 settings: Settings | None = None, api_key: str | None = None) -> None:
        args: dict[str, Any] = {}
        remote = path is not None and str(path).startswith(("http://", "https://"))
        if remote:
            args["base_url"] = str(path)
        elif path is not None:
            args["dir"] = os.fspath(path)
        if api_key:
            args["api_key"] = api_key
        for key in ("entity", "project"):
            if overrides and overrides.get(key):
                args[key] = overrides[key]
        self.settings = settings or Settings.resolve(args)
        if path is None and settings is None and self.settings.mode == "online":
            remote = True
        self._timeout = 60.0 if timeout is None else timeout
        self._remote = remote
        self._store: MetadataStore | None = None
        self._http: HttpRunReader | None = None
        self._closers: list[Any] = []  # sweep backends opened by sweep()

    @property
    def reader(self) -> RunReader:
        """Where runs are read from: the server, or the local store."""
        if not self._remote:
            return self.store
        if self._http is None:
            from tracklet.sdk.http_api import HttpRunReader

            self._http = HttpRunReader(self.settings.base_url, self.settings.api_key or None,
                                       timeout=self._timeout)
        return self._http

    @property
    def store(self) -> MetadataStore:
        """The local store (local data directories only)."""
        if self._remote:
            raise UsageError(f"Api({self.settings.base_url!r}) reads a server: use its "
                             "runs and projects, there is no local store to open")
        if self._store is None:
            from tracklet.store.sql.store import SqlMetadataStore

            db = self.settings.root / "tracklet.db"
            if not db.exists():
                raise UsageError(f"no Tracklet data in {self.settings.root.absolute()}: log a "
                                 "run first or point Api()/TRACKLET_DIR at the right folder")
            self._store = SqlMetadataStore(self.settings.store_url)
        return self._store

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def default_entity(self) -> str:
        return self.settings.entity

    def _split(self, path: str, parts: int) -> list[str]:
        items = [p for p in path.replace("/runs/", "/").split("/") if p]
        if len(items) == parts - 1:
            items.insert(0, self.settings.entity)
        if len(items) != parts:
            shape = "entity/project/run_id" if parts == 3 else "entity/project"
            raise UsageError(f"{path!r} is not a valid path; use {shape!r}")
        return items

    def projects(self, entity: str | None = None) -> list[ProjectInfo]:
        return self.reader.list_projects(entity)

    def runs(self, path: str | None = None, filters: Mapping[str, Any] | None = None,
             order: str | None = "-created_at", per_page: int = 50) -> Runs:
        entity, project = self._split(path or self.settings.project, 2)
        self.reap(entity, project)
        return Runs(self, entity, project, parse_filters(filters), parse_order(order), per_page)

    def run(self, path: str) -> ApiRun:
        entity, project, run_id = self._split(path, 3)
        self.reap(entity, project)
        return ApiRun(self, self.reader.get_run(RunRef(entity, project, run_id)))

    def media_bytes(self, run: RunRef, digest: str) -> bytes:
        """The bytes of an image run ``run`` logged (blob ``digest``)."""
        from tracklet.errors import NotFoundError

        if self._remote:
            if self._http is None:  # the Api was closed: a connection for this read only
                from tracklet.sdk.http_api import HttpRunReader

                reader = HttpRunReader(self.settings.base_url,
                                       self.settings.api_key or None, timeout=self._timeout)
                try:
                    return reader.read_media_blob(run, digest)
                finally:
                    reader.close()
            return self._http.read_media_blob(run, digest)
        from tracklet.store.blobs.local import LocalBlobStore

        blobs = LocalBlobStore(self.settings.root / "artifacts" / "blobs")
        try:
            with blobs.open(digest) as stream:
                return stream.read()
        except NotFoundError:
            raise NotFoundError(f"the bytes of image {digest} of run {run.run_id} are not "
                                f"in {blobs.uri}; run `tracklet sync` if the run was "
                                "logged offline") from None

    def sweep(self, path: str) -> Any:
        """A sweep by ``entity/project/sweep_id`` (or ``project/sweep_id``, ``sweep_id``):
        ``.id``, ``.config``, ``.state``, ``.runs``, ``.best_run()``."""
        from tracklet.sdk.sweeps import ApiSweep, split_sweep_path, sweep_backend_of

        entity, project, sweep_id = split_sweep_path(path, self.settings)
        backend = sweep_backend_of(self)
        return ApiSweep(self, backend, backend.get_sweep(entity, project, sweep_id))

    # -- artifacts (tracklet.sdk.artifacts does the work) ----------------------------------

    def artifact(self, name: str, type: str | None = None) -> Any:
        """A version by ``entity/project/name:alias`` (``name:alias`` uses the default
        entity and project); no lineage is recorded."""
        from tracklet.sdk.artifacts.client import use_artifact

        return use_artifact(None, name, type=type, settings=self.settings,
                            remote=self._remote)

    def artifact_versions(self, type_name: str, name: str) -> list[Any]:
        """Every version of the collection ``[entity/project/]name``, oldest first."""
        from tracklet.sdk.artifacts.client import artifact_versions

        *path, collection = name.split(":")[0].split("/")
        entity, project = self._split("/".join(path) or self.settings.project, 2)
        found = artifact_versions(self.settings, self._remote, entity, project, collection)
        if found and found[0].type != type_name:
            raise UsageError(f"artifact {name} is of type {found[0].type!r}, not "
                             f"{type_name!r}")
        return found

    # -- noticing dead runs ----------------------------------------------------------------

    def reap(self, entity: str | None = None, project: str | None = None) -> list[str]:
        """Mark dead ``running`` runs crashed after shipping their leftover run logs
        (local store only: a server notices missing heartbeats itself)."""
        if self._remote:
            return []
        now = time.time()
        dead: list[RunInfo] = []
        for info in self.store.list_running():
            if entity is not None and (info.entity, info.project) != (entity, project):
                continue
            stale = (info.heartbeat_at or info.created_at) < now - self.settings.heartbeat_timeout
            if stale or _process_gone(info.metadata):
                dead.append(info)
        if not dead:
            return []
        from tracklet.shipping.local import LocalShipper
        from tracklet.shipping.sync import sync_paths

        shipper = LocalShipper.for_data_dir(self.store, self.settings.root,
                                            self.settings.store_url, owns_store=False)
        for info in dead:
            folder = self.settings.root / "runs" / info.run_id
            if folder.is_dir():
                sync_paths([folder], shipper)
        refs = [i.ref for i in dead]
        self.store.mark_crashed(refs, at=now)
        return [r.path for r in refs]


def _process_gone(metadata: Mapping[str, Any]) -> bool:
    """True when the run's process was on this host and is not running any more."""
    if metadata.get("host") != socket.gethostname() or "pid" not in metadata:
        return False
    import psutil

    try:
        proc = psutil.Process(int(metadata["pid"]))
        started = metadata.get("process_start_time")
        return started is not None and abs(proc.create_time() - float(started)) > 1.0
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


class Runs:
    """The runs of a project, fetched page by page as you iterate."""

    def __init__(self, api: Api, entity: str, project: str, filters: list[RunFilter],
                 order: list[str], per_page: int) -> None:
        self._api, self.entity, self.project = api, entity, project
        self._filters, self._order, self._per_page = filters, order, per_page
        self._cache: list[ApiRun] | None = None

    def __iter__(self) -> Iterator[ApiRun]:
        if self._cache is not None:
            yield from self._cache
            return
        cursor: str | None = None
        while True:
            page = self._api.reader.list_runs(self.entity, self.project, filters=self._filters,
                                             order=self._order, limit=self._per_page,
                                             cursor=cursor)
            for info in page.items:
                yield ApiRun(self._api, info)
            cursor = page.next_cursor
            if cursor is None:
                return

    def _all(self) -> list[ApiRun]:
        if self._cache is None:
            self._cache = list(iter(self))
        return self._cache

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index: int) -> ApiRun:
        return self._all()[index]


class ApiRun:
    """One stored run: its attributes, config, summary and history."""

    def __init__(self, api: Api, info: RunInfo) -> None:
        self._api = api
        self._info = info

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._info, name)

    @property
    def id(self) -> str:
        return self._info.run_id

    @property
    def path(self) -> list[str]:
        return [self._info.entity, self._info.project, self._info.run_id]

    @property
    def summary_metrics(self) -> dict[str, Any]:
        return self._info.summary

    @property
    def sweep_id(self) -> str | None:
        """The id of the sweep that created this run, if one did."""
        if "sweep_id" not in self.__dict__:
            from tracklet.sdk.sweeps import sweep_of_run

            self.__dict__["sweep_id"] = sweep_of_run(self._api, self._info.ref)
        found: str | None = self.__dict__["sweep_id"]
        return found

    @property
    def duration(self) -> float | None:
        end = self._info.finished_at or self._info.heartbeat_at
        return None if end is None else end - self._info.created_at

    def files(self) -> list[Any]:
        """The files the run saved with ``save()``, as they were last saved: entries with
        ``path``, ``size``, ``digest`` and ``download(root=None)``; empty when none."""
        from tracklet.errors import NotFoundError
        from tracklet.store.artifacts import run_files_artifact

        entity, project, run_id = self.path
        try:
            saved = self._api.artifact(f"{entity}/{project}/{run_files_artifact(run_id)}"
                                       ":latest")
        except NotFoundError:
            return []
        entries: list[Any] = saved.files()
        return entries

    def file(self, name: str) -> Any:
        """One saved file by its name (``.download(root)`` fetches it)."""
        from tracklet.errors import NotFoundError

        for entry in self.files():
            if entry.path == name:
                return entry
        raise NotFoundError(f"run {'/'.join(self.path)} saved no file {name!r}")

    def metric_keys(self, stream: str = "default") -> list[str]:
        kind = "system" if stream in ("system", "events") else "history"
        return self._api.reader.list_metric_keys(self._info.ref, kind=kind)  # type: ignore[arg-type]

    def scan_history(self, keys: Sequence[str] | None = None, page_size: int = 1000,
                     min_step: int | None = None, max_step: int | None = None,
                     stream: str = "default") -> Iterator[dict[str, Any]]:
        """Every row (``_step``, ``_timestamp``, ``_runtime`` and the metrics), in step
        order, read ``page_size`` steps at a time."""
        wanted = list(keys) if keys is not None else self.metric_keys(stream)
        if not wanted:
            return
        lo = min_step if min_step is not None else 0
        block = max(page_size, SCAN_BLOCK)  # fewer, larger reads; page_size is a hint
        while True:
            rows = self._rows(wanted, lo, block, max_step)
            yield from rows
            if not rows or len(rows) < block:
                return
            lo = rows[-1]["_step"] + 1

    def history(self, keys: Sequence[str] | None = None, x_axis: str = "_step",
                samples: int | None = None, pandas: bool = True,
                stream: str = "default") -> Any:
        """Rows of history (all of them, or ``samples`` evenly spread ones that always
        include the last); a pandas DataFrame when pandas is installed and ``pandas``."""
        from tracklet.core.downsample import even_indices

        wanted = list(keys) if keys is not None else self.metric_keys(stream)
        if x_axis not in ("_step", "_timestamp", "_runtime") and x_axis not in wanted:
            wanted.append(x_axis)
        rows = self._rows(wanted, None, None, None) if wanted else []
        if samples is not None:
            rows = [rows[i] for i in even_indices(len(rows), samples)]
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)

    def _rows(self, keys: list[str], lo: int | None, steps: int | None,
              hi: int | None) -> list[dict[str, Any]]:
        series_list = self._api.reader.read_series(self._info.ref, keys, min_step=lo,
                                                  max_step=hi, limit=steps)
        if steps is not None:
            # a key that hit the limit may have more points: stop before its next step
            full = [s.steps[-1] for s in series_list if len(s.steps) == steps]
            if full:
                cut = min(full)
                series_list = [_clip(s, cut) for s in series_list]
        created = self._info.created_at
        if series_list and all(s.steps == series_list[0].steps for s in series_list[1:]):
            # every key has the same steps (the usual case): build rows with zip, in C
            first = series_list[0]
            names = ["_step", "_timestamp", "_runtime", *(s.key for s in series_list)]
            stamps = (list(map(max, zip(*(s.timestamps for s in series_list))))
                      if len(series_list) > 1 else first.timestamps)
            runtimes = [t - created for t in stamps]
            columns = zip(first.steps, stamps, runtimes, *(s.values for s in series_list))
            return list(map(dict, map(zip, itertools.repeat(names), columns)))
        rows: dict[int, dict[str, Any]] = {}
        for series in series_list:
            key = series.key
            for step, ts, value in zip(series.steps, series.timestamps, series.values):
                row = rows.get(step)
                if row is None:
                    row = rows[step] = {"_step": step, "_timestamp": ts,
                                        "_runtime": ts - created}
                elif ts > row["_timestamp"]:
                    row["_timestamp"], row["_runtime"] = ts, ts - created
                row[key] = value
        return [rows[s] for s in sorted(rows)]

    def _media_reader(self) -> MediaReader:
        reader = self._api.reader
        if not hasattr(reader, "read_media"):
            raise UsageError("reading media values from this reader is not "
                             "supported yet; read the local store with Api(dir)")
        return cast("MediaReader", reader)

    def media_keys(self) -> list[str]:
        """Keys of the media values (histograms, ...) the run logged."""
        return self._media_reader().list_media_keys(self._info.ref)

    def media(self, keys: Sequence[str] | None = None, min_step: int | None = None,
              max_step: int | None = None) -> list[dict[str, Any]]:
        """Rows of media values in step order: ``_step``, ``_timestamp`` and each key's
        W&B-shaped JSON (``{"_type": "histogram", "values": [...], "bins": [...]}``).
        Images come back as ``MediaImage`` (the logged JSON, a dict, plus ``bytes()``,
        ``image()`` and ``download(root)``), also inside lists and table cells."""
        from tracklet.sdk.media_read import wrap_media

        ref = self._info.ref
        rows: dict[int, dict[str, Any]] = {}
        for m in self._media_reader().read_media(ref, keys, min_step=min_step,
                                                 max_step=max_step):
            row = rows.setdefault(m.step, {"_step": m.step, "_timestamp": m.ts})
            row["_timestamp"] = max(row["_timestamp"], m.ts)
            row[m.key] = wrap_media(m.data, lambda digest: self._api.media_bytes(ref, digest))
        return [rows[s] for s in sorted(rows)]

    def __repr__(self) -> str:
        return f"<ApiRun {'/'.join(self.path)} ({self._info.state})>"


def _clip(series: Series, hi: int) -> Series:
    end = bisect.bisect_right(series.steps, hi)
    return Series(series.key, series.steps[:end], series.timestamps[:end], series.values[:end])
