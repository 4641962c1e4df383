"""``tracklet.sweep`` and the read side of sweeps (``Api().sweep``), shaped like W&B's.

Where sweeps live follows the mode: the local store under ``TRACKLET_DIR`` (several
agent processes on one machine share it), or the server in online mode
(``/api/v1/sweeps``). Both are a ``SweepBackend``; the agent (``sweep_agent``) and the
CLI use the same ones.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from tracklet.errors import UsageError
from tracklet.sdk.settings import Settings
from tracklet.store.sweeps import Claim, SweepInfo, SweepRunInfo

if TYPE_CHECKING:
    from tracklet.sdk.api import Api, ApiRun
    from tracklet.store.base import RunRef

MSGPACK = {"Accept": "application/x-msgpack"}
_created: dict[str, tuple[str, str]] = {}  # sweep id -> (entity, project), made here


class SweepBackend(Protocol):
    where: str

    def create_sweep(self, entity: str, project: str, config: dict[str, Any]) -> SweepInfo: ...

    def get_sweep(self, entity: str, project: str, sweep_id: str) -> SweepInfo: ...

    def list_sweeps(self, entity: str, project: str) -> list[SweepInfo]: ...

    def list_runs(self, sweep: SweepInfo) -> list[SweepRunInfo]: ...

    def claim(self, sweep: SweepInfo, agent: str | None = None) -> Claim: ...

    def finish_run(self, sweep: SweepInfo, run_id: str, state: str) -> None: ...

    def set_state(self, sweep: SweepInfo, state: str) -> SweepInfo: ...

    def sweep_of_run(self, entity: str, project: str, run_id: str) -> str | None: ...

    def should_stop(self, sweep: SweepInfo, run_id: str) -> bool:
        """Whether early termination (hyperband) stops the run now."""
        ...

    def close(self) -> None: ...


class LocalSweepBackend:
    """Sweeps in the local store (``tracklet.db`` under the data directory)."""

    def __init__(self, settings: Settings) -> None:
        from tracklet.store.sql.sweeps import SqlSweepStore
        from tracklet.sweeps.service import SweepController

        settings.root.mkdir(parents=True, exist_ok=True)
        self.where = str(settings.root.absolute())
        self.store = SqlSweepStore(settings.store_url)
        self.controller = SweepController(self.store)
        self._url = settings.store_url
        self._metadata: Any = None  # opened when early termination needs histories

    def create_sweep(self, entity: str, project: str, config: dict[str, Any]) -> SweepInfo:
        return self.controller.create(entity, project, config)

    def get_sweep(self, entity: str, project: str, sweep_id: str) -> SweepInfo:
        return self.store.get_sweep(sweep_id)  # ids are unique: entity/project not needed

    def list_sweeps(self, entity: str, project: str) -> list[SweepInfo]:
        return self.store.list_sweeps(entity, project)

    def list_runs(self, sweep: SweepInfo) -> list[SweepRunInfo]:
        return self.store.list_sweep_runs(sweep.sweep_id)

    def claim(self, sweep: SweepInfo, agent: str | None = None) -> Claim:
        return self.controller.claim(sweep.sweep_id, agent=agent)

    def finish_run(self, sweep: SweepInfo, run_id: str, state: str) -> None:
        self.store.finish_run(sweep.sweep_id, run_id, state)

    def set_state(self, sweep: SweepInfo, state: str) -> SweepInfo:
        return self.store.set_sweep_state(sweep.sweep_id, state)

    def sweep_of_run(self, entity: str, project: str, run_id: str) -> str | None:
        return self.store.sweep_of_run(entity, project, run_id)

    def should_stop(self, sweep: SweepInfo, run_id: str) -> bool:
        from tracklet.sweeps.service import should_stop

        if self._metadata is None:
            from tracklet.store.sql.store import SqlMetadataStore

            self._metadata = SqlMetadataStore(self._url)
        return should_stop(self.store, self._metadata, sweep.sweep_id, run_id)

    def close(self) -> None:
        self.store.close()
        if self._metadata is not None:
            self._metadata.close()


def _q(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


_SWEEP_FIELDS = {f.name for f in dataclasses.fields(SweepInfo)}
_RUN_FIELDS = {f.name for f in dataclasses.fields(SweepRunInfo)}


def sweep_info(data: Mapping[str, Any]) -> SweepInfo:
    return SweepInfo(**{k: v for k, v in data.items() if k in _SWEEP_FIELDS})


def sweep_run_info(data: Mapping[str, Any]) -> SweepRunInfo:
    return SweepRunInfo(**{k: v for k, v in data.items() if k in _RUN_FIELDS})


class HttpSweepBackend:
    """Sweeps on a Tracklet server, through ``/api/v1/sweeps``."""

    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 60.0) -> None:
        from tracklet.shipping.client import ServerClient

        self.client = ServerClient(base_url, api_key, timeout=timeout)
        self.where = f"the server {self.client.base_url}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        import msgspec

        content = None if body is None else json.dumps(body).encode()
        headers = dict(MSGPACK)
        if body is not None:
            headers["Content-Type"] = "application/json"
        # a claim is not retried: a retry of one that reached the server would hand out a
        # second run (a grid point nobody runs); reads and state changes are idempotent
        reply = self.client.request(method, path, content=content, headers=headers,
                                    retry=method in ("GET", "PATCH"))
        return msgspec.msgpack.decode(reply.content) if reply.content else None

    def create_sweep(self, entity: str, project: str, config: dict[str, Any]) -> SweepInfo:
        return sweep_info(self._call("POST", "/sweeps/" + _q(entity, project),
                                     {"config": config}))

    def get_sweep(self, entity: str, project: str, sweep_id: str) -> SweepInfo:
        return sweep_info(self._call("GET", "/sweeps/" + _q(entity, project, sweep_id)))

    def list_sweeps(self, entity: str, project: str) -> list[SweepInfo]:
        return [sweep_info(s) for s in
                self._call("GET", "/sweeps/" + _q(entity, project))["items"]]

    def list_runs(self, sweep: SweepInfo) -> list[SweepRunInfo]:
        path = "/sweeps/" + _q(sweep.entity, sweep.project, sweep.sweep_id) + "/runs"
        return [sweep_run_info(r) for r in self._call("GET", path)["items"]]

    def claim(self, sweep: SweepInfo, agent: str | None = None) -> Claim:
        path = "/sweeps/" + _q(sweep.entity, sweep.project, sweep.sweep_id) + "/claim"
        reply = self._call("POST", path, {"agent": agent})
        run = reply.get("run")
        return Claim(None if run is None else sweep_run_info(run), sweep_info(reply["sweep"]))

    def finish_run(self, sweep: SweepInfo, run_id: str, state: str) -> None:
        path = "/sweeps/" + _q(sweep.entity, sweep.project, sweep.sweep_id, "runs", run_id)
        self._call("PATCH", path, {"state": state})

    def set_state(self, sweep: SweepInfo, state: str) -> SweepInfo:
        path = "/sweeps/" + _q(sweep.entity, sweep.project, sweep.sweep_id)
        return sweep_info(self._call("PATCH", path, {"state": state}))

    def sweep_of_run(self, entity: str, project: str, run_id: str) -> str | None:
        reply = self._call("GET", "/runs/" + _q(entity, project, run_id) + "/sweep")
        found = reply.get("sweep_id")
        return None if found is None else str(found)

    def should_stop(self, sweep: SweepInfo, run_id: str) -> bool:
        path = "/sweeps/" + _q(sweep.entity, sweep.project, sweep.sweep_id, "runs", run_id,
                               "stop")
        return bool(self._call("GET", path)["stop"])

    def close(self) -> None:
        self.client.close()


def backend_for(settings: Settings) -> SweepBackend:
    """The server in online mode, else the local store."""
    if settings.mode == "online":
        return HttpSweepBackend(settings.base_url, settings.api_key or None)
    if settings.mode in ("offline", "disabled"):
        raise UsageError(f"sweeps need the local store or a server; mode is "
                         f"{settings.mode!r}: use mode 'local' or 'online' (tracklet login)")
    return LocalSweepBackend(settings)


def sweep_backend_of(api: Api) -> SweepBackend:
    """The sweeps of what ``api`` reads (the server, or the local store); closed with it."""
    backend: SweepBackend
    if api._remote:
        backend = HttpSweepBackend(api.settings.base_url, api.settings.api_key or None)
    else:
        backend = LocalSweepBackend(api.settings)
    api._closers.append(backend.close)
    return backend


def sweep_of_run(api: Api, run: RunRef) -> str | None:
    """The id of the sweep that created ``run`` (None when no sweep did)."""
    return sweep_backend_of(api).sweep_of_run(run.entity, run.project, run.run_id)


def split_sweep_path(path: str, settings: Settings) -> tuple[str, str, str]:
    """``entity/project/sweep_id``, ``project/sweep_id`` or ``sweep_id`` (the settings'
    entity and project fill in what is missing)."""
    parts = [p for p in path.replace("/sweeps/", "/").split("/") if p]
    if not 1 <= len(parts) <= 3:
        raise UsageError(f"{path!r} is not a sweep path; use entity/project/sweep_id")
    if len(parts) == 1 and parts[0] in _created:  # made by sweep() in this process
        return (*_created[parts[0]], parts[0])
    while len(parts) < 3:
        parts.insert(0, settings.project if len(parts) == 1 else settings.entity)
    return parts[0], parts[1], parts[2]


def sweep(sweep: Mapping[str, Any], entity: str | None = None, project: str | None = None,
          prior_runs: list[str] | None = None) -> str:
    """Create a sweep from a W&B-style config dict; returns its id (for ``agent``).

    ``project`` and ``entity`` default to the config's own, then to the settings
    (``TRACKLET_PROJECT`` ...). ``prior_runs`` is not supported."""
    from tracklet.sdk.termlog import termlog

    if prior_runs:
        raise UsageError("sweep(prior_runs=...) is not supported yet: start the sweep "
                         "without them")
    if callable(getattr(sweep, "to_dict", None)):
        sweep = sweep.to_dict()  # type: ignore[attr-defined]
    if not isinstance(sweep, Mapping):
        raise TypeError(f"sweep() takes the sweep config as a dict, not "
                        f"{type(sweep).__name__}")
    config = dict(sweep)
    settings = Settings.resolve({"project": project or config.get("project"),
                                 "entity": entity or config.get("entity")})
    backend = backend_for(settings)
    try:
        info = backend.create_sweep(settings.entity, settings.project, config)
    finally:
        backend.close()
    _created[info.sweep_id] = (info.entity, info.project)
    termlog(f"created sweep {info.sweep_id} in {info.entity}/{info.project} "
            f"({backend.where}); run agents with: tracklet agent {info.path}")
    return info.sweep_id


class ApiSweep:
    """One sweep as ``Api().sweep(path)`` returns it: ``id``, ``config``, ``state``,
    ``runs`` (the runs it created, as ``Api`` runs), ``best_run()``."""

    def __init__(self, api: Api, backend: SweepBackend, info: SweepInfo) -> None:
        self._api = api
        self._backend = backend
        self._info = info

    @property
    def id(self) -> str:
        return self._info.sweep_id

    @property
    def entity(self) -> str:
        return self._info.entity

    @property
    def project(self) -> str:
        return self._info.project

    @property
    def name(self) -> str:
        return self._info.name or self._info.sweep_id

    @property
    def path(self) -> list[str]:
        return [self._info.entity, self._info.project, self._info.sweep_id]

    @property
    def url(self) -> str:
        return self._info.path

    @property
    def config(self) -> dict[str, Any]:
        return self._info.config

    @property
    def state(self) -> str:
        return self._info.state

    @property
    def method(self) -> str:
        return self._info.method

    def sweep_runs(self) -> list[SweepRunInfo]:
        """What the sweep handed out: each run's id, parameters and state."""
        return self._backend.list_runs(self._info)

    @property
    def runs(self) -> list[ApiRun]:
        """The runs the sweep created that have reached the store, in claim order."""
        from tracklet.errors import NotFoundError
        from tracklet.sdk.api import ApiRun
        from tracklet.store.base import RunRef

        out = []
        for claimed in self.sweep_runs():
            if claimed.run_state is None:
                continue
            try:
                info = self._api.reader.get_run(RunRef(self.entity, self.project,
                                                       claimed.run_id))
            except NotFoundError:
                continue
            out.append(ApiRun(self._api, info))
        return out

    def best_run(self, order: str | None = None) -> ApiRun | None:
        """The finished run with the best metric value (the config's metric and goal, or
        ``order`` such as ``"-val_acc"`` / ``"+loss"``); None when no run has a value."""
        from tracklet.sweeps.controller import metric_value
        from tracklet.sweeps.spec import parse_sweep_config

        if order:
            name, goal = order.lstrip("+-"), ("maximize" if order.startswith("-")
                                              else "minimize")
        else:
            metric = parse_sweep_config(self.config).metric
            if metric is None:
                raise UsageError(f"sweep {self.id} has no metric: pass best_run(order="
                                 "'-accuracy') (- for the highest)")
            name, goal = metric.name, metric.goal
        best: tuple[float, ApiRun] | None = None
        for run in self.runs:
            value = metric_value(run.summary, name, goal)
            if value is None:
                continue
            if best is None or (value < best[0] if goal == "minimize" else value > best[0]):
                best = (value, run)
        return None if best is None else best[1]

    def __repr__(self) -> str:
        return f"<ApiSweep {self._info.path} ({self.state})>"
