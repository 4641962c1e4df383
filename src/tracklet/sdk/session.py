"""The module-level API: ``init``, ``log``, ``finish``, ``define_metric`` and the current run.

Holding "the current run" is the one piece of process-wide state the W&B-shaped API needs;
it lives in ``_session`` and nowhere else. Exit hooks finish runs the user forgot to finish
(marking an uncaught exception ``failed`` with its traceback, Ctrl-C ``killed``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import sys
import threading
import time
import traceback as tb
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from tracklet.core.ids import check_name, check_run_id, new_run_id, new_run_name, new_segment_id
from tracklet.core.segment import SegmentHeader
from tracklet.core.values import check_tags, check_text
from tracklet.errors import (
    ConflictError,
    NotFoundError,
    NotInitializedError,
    ServerUnavailableError,
    UsageError,
)
from tracklet.sdk.config import as_mapping
from tracklet.sdk.console import ConsoleCapture
from tracklet.sdk.run import Run, RunFields, run_dir
from tracklet.sdk.settings import FIELD_NAMES, Settings
from tracklet.sdk.summary import SummaryTracker
from tracklet.sdk.system import SystemMonitor
from tracklet.sdk.termlog import termwarn
from tracklet.sdk.writer import Writer

if TYPE_CHECKING:
    from tracklet.sdk.resume import PreviousRun
    from tracklet.shipping.base import Shipper  # imports msgspec: type checking only

RESUME_MODES = ("allow", "must", "never", "auto")


class _Session:
    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.hooks = False
        self.exception: tuple[type[BaseException], BaseException, TracebackType | None] | None
        self.exception = None
        self.exit_code: object = None  # what the script passed to sys.exit()
        self.rng = random.Random()
        self.started = 0  # runs started in this process, for generated names
        self.lock = threading.Lock()

    @property
    def current(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def forget(self, run: Run) -> None:
        with self.lock:
            if run in self.runs:
                self.runs.remove(run)


_session = _Session()


def current_run() -> Run | None:
    return _session.current


def _require() -> Run:
    run = _session.current
    if run is None:
        raise NotInitializedError(
            "no active run: call tracklet.init() first, e.g. "
            "run = tracklet.init(project='my-project')"
        )
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
    """Log metrics to the current run (see ``Run.log``)."""
    _require().log(data, step=step, commit=commit)


def finish(exit_code: int | None = None, timeout: float | None = None,
           quiet: bool | None = None) -> None:
    """Finish the current run (``quiet`` is accepted for W&B compatibility)."""
    run = _session.current
    if run is not None:
        run.finish(exit_code=exit_code, timeout=timeout)


def define_metric(name: str, step_metric: str | None = None, step_sync: bool | None = None,
                  hidden: bool | None = None, summary: str | None = None,
                  goal: str | None = None, overwrite: bool | None = None) -> Any:
    return _require().define_metric(name, step_metric=step_metric, step_sync=step_sync,
                                    hidden=hidden, summary=summary, goal=goal,
                                    overwrite=overwrite)


def _resume_mode(resume: bool | str | None, run_id: str | None) -> str | None:
    if resume is None or resume is False:
        return "allow" if run_id is not None else None
    if resume is True:
        return "allow"
    if resume not in RESUME_MODES:
        raise ValueError(f"resume must be one of {', '.join(RESUME_MODES)} or a bool; "
                         f"got {resume!r}")
    return resume


def init(
    project: str | None = None,
    entity: str | None = None,
    name: str | None = None,
    id: str | None = None,
    config: Any = None,
    tags: Iterable[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    mode: str | None = None,
    resume: bool | str | None = None,
    reinit: bool | str | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    config_exclude_keys: Iterable[str] | None = None,
    config_include_keys: Iterable[str] | None = None,
    **_ignored: Any,
) -> Run:
    """Start a run and make it the current one. Returns in milliseconds: no I/O waits."""
    from tracklet.sdk import wandb_compat

    base = wandb_compat.settings_values(settings, FIELD_NAMES)
    if mode is not None:  # W&B's names too: "dryrun" is offline, "run" the default
        mode = wandb_compat.MODES.get(mode, None if mode == "run" else mode)
    base.update({k: v for k, v in {"project": project, "entity": entity,
                                   "dir": None if dir is None else os.fspath(dir),
                                   "mode": mode}.items() if v is not None})
    from_env = wandb_compat.init_defaults(os.environ)  # TRACKLET_RUN_ID, WANDB_RUN_ID, ...
    if from_env:
        id = id if id is not None else from_env.get("id")
        resume = resume if resume is not None else from_env.get("resume")
        name = name if name is not None else from_env.get("name")
        group = group if group is not None else from_env.get("group")
        job_type = job_type if job_type is not None else from_env.get("job_type")
        notes = notes if notes is not None else from_env.get("notes")
        tags = tags if tags is not None else from_env.get("tags")
    handoff = _sweep_handoff(os.environ)  # a sweep agent started this run
    if handoff is not None:
        id = _sweep_overrides(handoff, base, id)
    resolved = Settings.resolve(base)
    check_name(resolved.project, what="project")
    check_name(resolved.entity, what="entity")

    active = _session.current
    if active is not None:
        if reinit in (None, False, "return_previous", "default"):
            termwarn(f"init() called while run {active.id} is active; returning it (pass "
                     "reinit=True to finish it and start a new run)")
            return active
        if reinit in (True, "finish_previous"):
            active.finish()

    run_id = check_run_id(id) if id is not None else None
    mode_ = _resume_mode(resume, run_id)
    if mode_ == "must" and run_id is None:
        raise UsageError("resume='must' needs the id of the run to resume: init(id=..., "
                         "resume='must')")
    previous: PreviousRun | None = None
    if mode_ is not None and run_id is not None and resolved.mode != "disabled":
        from tracklet.sdk.resume import load_previous

        try:
            previous = load_previous(resolved, run_id)
        except ServerUnavailableError as exc:
            if mode_ == "must":
                raise ServerUnavailableError(
                    f"cannot resume run {run_id}: {exc.message}; try again when the server "
                    "answers (or resume='allow' to go on without its history)") from None
            termwarn(f"could not ask {resolved.base_url} whether run {run_id} exists "
                     f"({exc.message}); starting it as new")
        where = resolved.base_url if resolved.mode == "online" else resolved.root
        if previous is None and mode_ == "must":
            raise NotFoundError(f"cannot resume run {run_id}: it does not exist in "
                                f"{where} (project {resolved.project})")
        if previous is not None and mode_ == "never":
            raise ConflictError(f"run {run_id} already exists; pass another id or "
                                "resume='allow'")
    run_id = run_id or new_run_id(_session.rng)

    conf = as_mapping(config)
    if config_include_keys:
        conf = {k: v for k, v in conf.items() if k in set(config_include_keys)}
    if config_exclude_keys:
        conf = {k: v for k, v in conf.items() if k not in set(config_exclude_keys)}
    fields = RunFields(
        name=check_text(name, what="name", limit=256) if name is not None
        else (previous.name if previous else new_run_name(_session.rng, _session.started + 1)),
        group=check_text(group, what="group") if group is not None else None,
        job_type=check_text(job_type, what="job_type") if job_type is not None else None,
        tags=check_tags(tags), notes=check_text(notes, what="notes") if notes else None)
    header = SegmentHeader(segment=new_segment_id(_session.rng), run_id=run_id,
                           project=resolved.project, entity=resolved.entity)
    tracker = SummaryTracker(previous.summary_last if previous else None)
    writer = None if resolved.mode == "disabled" else _make_writer(resolved, header, tracker)
    run = Run(settings=resolved, header=header, fields=fields, writer=writer, tracker=tracker,
              config=previous.config if previous else {},
              start_step=previous.next_step if previous else 0, on_finish=_session.forget)
    if writer is not None:
        writer.put_record(("start", time.time(), run_id, resolved.project, resolved.entity,
                           fields.name, fields.group, fields.job_type, list(fields.tags),
                           fields.notes, previous is not None))
    if conf:  # also when disabled: scripts read their config back (config.lr)
        run.config.update(conf, allow_val_change=True)
    if handoff is not None:  # the sweep's parameters win over the script's defaults
        run.sweep_id = handoff["sweep_id"]
        run.config.lock(handoff["params"])
    with _session.lock:
        _session.runs.append(run)
        _session.started += 1
    _install_hooks()
    if writer is not None:
        _start_side_threads(run, resolved, writer)
        writer.start()
    return run


def _sweep_handoff(env: Mapping[str, str]) -> dict[str, Any] | None:
    """What a sweep agent passed to this run (see ``sweep_agent``), or None."""
    sweep_id = env.get("TRACKLET_SWEEP_ID")
    if not sweep_id:
        return None
    import json

    try:
        params = json.loads(env.get("TRACKLET_SWEEP_PARAMS") or "{}")
    except ValueError:
        raise UsageError("TRACKLET_SWEEP_PARAMS is not JSON: start sweep runs with "
                         "`tracklet agent`") from None
    return {"sweep_id": sweep_id, "params": params if isinstance(params, dict) else {},
            "entity": env.get("TRACKLET_SWEEP_ENTITY"),
            "project": env.get("TRACKLET_SWEEP_PROJECT"),
            "run_id": env.get("TRACKLET_RUN_ID")}


def _sweep_overrides(handoff: Mapping[str, Any], base: dict[str, Any],
                     run_id: str | None) -> str | None:
    """In a sweep run, the sweep's project, entity and run id win (as in W&B); a
    different one passed to init() is ignored with a warning. Returns the run id."""
    for key in ("project", "entity"):
        wanted = handoff.get(key)
        if wanted and base.get(key) not in (None, wanted):
            termwarn(f"ignoring init({key}={base[key]!r}): this run belongs to sweep "
                     f"{handoff['sweep_id']} in {key} {wanted!r}")
        if wanted:
            base[key] = wanted
    wanted_id = handoff.get("run_id")
    if wanted_id and run_id not in (None, wanted_id):
        termwarn(f"ignoring init(id={run_id!r}): sweep {handoff['sweep_id']} gave this run "
                 f"the id {wanted_id!r}")
    return wanted_id or run_id


def _make_writer(settings: Settings, header: SegmentHeader, tracker: SummaryTracker) -> Writer:
    root = settings.root
    try:
        (run_dir(root, header.run_id) / "files").mkdir(parents=True, exist_ok=True)
        log_path = root / "runs" / header.run_id / f"{header.segment}.tlog"
    except OSError as exc:
        termwarn(f"cannot create the run directory under {root}: {exc}; training goes on, "
                 "but what is logged is not saved")
        log_path = None
    connect = None
    if settings.mode == "local" and log_path is not None:
        url = settings.store_url

        def connect() -> Shipper:
            from tracklet.shipping.local import LocalShipper
            from tracklet.store.sql.store import SqlMetadataStore

            return LocalShipper.for_data_dir(SqlMetadataStore(url), root, url, live=True)

    elif settings.mode == "online" and log_path is not None:
        base_url, api_key = settings.base_url, settings.api_key

        def connect() -> Shipper:  # called on the follower's thread: init() never waits
            from tracklet.shipping.http import HttpShipper

            return HttpShipper(base_url, api_key, live=True)

    return Writer(header, log_path=log_path, connect=connect,
                  flush_interval=settings.flush_interval,
                  heartbeat_interval=settings.heartbeat_interval,
                  max_queue=settings.max_queue,
                  queue_full_timeout=settings.queue_full_timeout,
                  on_history=tracker.on_history)


METADATA_TIMEOUT = 10.0  # finish() waits this long at most for git and friends


def _start_metadata(run: Run, writer: Writer, diff_limit: int) -> None:
    """Collect host and git facts on a thread of their own (git can take a while) and
    queue them as a record; finish() waits for it, briefly."""
    ts = time.time()

    def collect() -> None:
        from tracklet.sdk.metadata import collect_metadata

        try:
            data = collect_metadata(max_diff_bytes=diff_limit)
        except Exception as exc:  # metadata is a nicety: never fail the run for it
            data = {"error": f"could not collect metadata: {exc!r}"}
        writer.put_record(("meta", ts, data))

    thread = threading.Thread(target=collect, name="tracklet-metadata", daemon=True)
    thread.start()
    run.add_stopper(lambda: thread.join(METADATA_TIMEOUT))


def _start_side_threads(run: Run, settings: Settings, writer: Writer) -> None:
    _start_metadata(run, writer, settings.git_diff_limit)
    if settings.system_metrics:
        monitor = SystemMonitor(interval=settings.system_metrics_interval,
                                emit=lambda values: writer.put(("sys", time.time(), values)))
        monitor.start()
        run.add_stopper(monitor.stop)
    if settings.console_capture:
        capture = ConsoleCapture(lambda stream, line, ts: writer.put(("out", (ts, stream,
                                                                             line))))
        capture.start()
        run.add_stopper(capture.stop)


def _install_hooks() -> None:
    if _session.hooks:
        return
    _session.hooks = True
    previous_hook = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException,
                   trace: TracebackType | None) -> None:
        _session.exception = (kind, value, trace)
        previous_hook(kind, value, trace)

    sys.excepthook = excepthook
    previous_exit = sys.exit

    def exit(code: object = None) -> NoReturn:
        """``sys.exit`` remembering its code, so that the exit hook can tell a failed
        script (``sys.exit(3)``) from a finished one, as W&B's exit hooks do. (Python
        gives exit hooks no exit status; a ``sys.exit`` looked up before ``init()`` ran,
        as in ``sys.exit(main())``, is not seen.)"""
        if threading.current_thread() is threading.main_thread():  # else only a thread ends
            _session.exit_code = code
        previous_exit(code)  # type: ignore[arg-type]
        raise SystemExit(code)  # not reached unless sys.exit was replaced by a no-op

    sys.exit = exit
    atexit.register(_at_exit)


def _exit_status(code: object) -> int:
    """The process exit status Python gives ``sys.exit(code)``."""
    if code is None:
        return 0
    return int(code) if isinstance(code, int) else 1  # a message is printed, status 1


def _at_exit() -> None:
    exc = _session.exception
    status = _exit_status(_session.exit_code)
    for run in list(reversed(_session.runs)):
        if exc is None and status:
            run.finish(exit_code=status, state="failed")
        elif exc is None:
            run.finish(exit_code=0)
        elif issubclass(exc[0], KeyboardInterrupt):
            run.finish(exit_code=255, state="killed")
        else:
            run.finish(exit_code=1, state="failed",
                       traceback="".join(tb.format_exception(*exc)))
    if exc is not None and issubclass(exc[0], KeyboardInterrupt):
        _keep_sigint_exit()


def _keep_sigint_exit() -> None:
    """Make the process still die of SIGINT after Ctrl-C, as it would without Tracklet.

    CPython remembers "ended by an unhandled KeyboardInterrupt" in a flag that any
    ``exec`` of source text clears, in any thread; our background threads may have
    imported modules (dataclasses and namedtuples exec source) while finishing. Running
    a ``raise KeyboardInterrupt`` through ``exec`` sets the flag again.
    """
    with contextlib.suppress(KeyboardInterrupt):
        exec("raise KeyboardInterrupt")
