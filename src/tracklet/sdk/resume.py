"""What a resumed run continues from: its name, config, last values and next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracklet.core.records import ConfigUpdate, History, RunStart
from tracklet.errors import NotFoundError, ServerUnavailableError
from tracklet.sdk.settings import Settings
from tracklet.shipping.runlog import RunLogReader, find_segments

if TYPE_CHECKING:
    from tracklet.sdk.api import RunReader
    from tracklet.store.base import RunInfo


@dataclass
class PreviousRun:
    name: str
    next_step: int
    config: dict[str, Any] = field(default_factory=dict)
    summary_last: dict[str, Any] = field(default_factory=dict)


RESUME_TIMEOUT = 10.0  # seconds init() may wait for the server when asked to resume


def load_previous(settings: Settings, run_id: str) -> PreviousRun | None:
    """The run as stored (local mode, after shipping its leftover logs), as the server has
    it together with any run logs of it here (online mode), or as its run logs in this
    directory tell (offline mode); None when there is no such run.

    Online, the server is asked (at most ``RESUME_TIMEOUT`` seconds): a job restarted on
    another machine goes on where it stopped. ``ServerUnavailableError`` when the server
    cannot answer and no run log here knows the run."""
    if settings.mode == "local":
        return _from_store(settings, run_id)
    local = _from_logs(settings, run_id)
    if settings.mode != "online":
        return local
    try:
        remote = _from_server(settings, run_id)
    except ServerUnavailableError:
        if local is None:
            raise
        from tracklet.sdk.termlog import termwarn

        termwarn(f"could not reach {settings.base_url} to resume run {run_id}: going on "
                 "from its run logs in this directory")
        return local
    if remote is None or local is None:
        return remote or local
    # the logs here may hold what the server has not received yet
    return PreviousRun(name=local.name, next_step=max(remote.next_step, local.next_step),
                       config={**remote.config, **local.config},
                       summary_last={**remote.summary_last, **local.summary_last})


def _from_server(settings: Settings, run_id: str) -> PreviousRun | None:
    from tracklet.sdk.http_api import HttpRunReader
    from tracklet.shipping.client import RetryPolicy

    reader = HttpRunReader(settings.base_url, settings.api_key or None,
                           timeout=RESUME_TIMEOUT, retry=RetryPolicy(attempts=2))
    try:
        return _lookup(reader, settings, run_id)
    finally:
        reader.close()


def _from_store(settings: Settings, run_id: str) -> PreviousRun | None:
    from tracklet.shipping.local import LocalShipper
    from tracklet.shipping.sync import sync_paths
    from tracklet.store.sql.store import SqlMetadataStore

    if not (settings.root / "tracklet.db").exists():
        return None
    store = SqlMetadataStore(settings.store_url)
    try:
        run_path = settings.root / "runs" / run_id
        if run_path.is_dir():
            sync_paths([run_path], LocalShipper.for_data_dir(
                store, settings.root, settings.store_url, owns_store=False))
        return _lookup(store, settings, run_id)
    finally:
        store.close()


def _lookup(reader: RunReader, settings: Settings, run_id: str) -> PreviousRun | None:
    from tracklet.store.base import RunRef

    try:
        info = reader.get_run(RunRef(settings.entity, settings.project, run_id))
    except NotFoundError:
        return None
    return _previous(info)


def _previous(info: RunInfo) -> PreviousRun:
    last = {k: v for k, v in info.summary.items() if not isinstance(v, dict)}
    return PreviousRun(name=info.name,
                       next_step=0 if info.last_step is None else info.last_step + 1,
                       config=dict(info.config), summary_last=last)


def _from_logs(settings: Settings, run_id: str) -> PreviousRun | None:
    run_path = settings.root / "runs" / run_id
    segments = find_segments([run_path]) if run_path.is_dir() else []
    if not segments:
        return None
    prev = PreviousRun(name=run_id, next_step=0)
    for path in segments:
        reader = RunLogReader(path)
        for chunk in reader.records():
            for rec in chunk:
                if isinstance(rec, History):
                    prev.next_step = max(prev.next_step, rec.step + 1)
                    prev.summary_last.update(rec.values)
                elif isinstance(rec, ConfigUpdate):
                    prev.config.update(rec.values)
                elif isinstance(rec, RunStart):
                    prev.name = rec.name
    return prev
