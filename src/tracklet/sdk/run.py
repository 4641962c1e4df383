"""``Run``: what ``tracklet.init`` returns. It validates on the caller's thread and hands
everything else to collaborators: a ``Writer`` (all I/O), ``Config``, ``Summary``, the
system monitor and the console capture."""

from __future__ import annotations

import os
import time
import traceback as tb
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tracklet.core.segment import SegmentHeader
from tracklet.core.steps import StepTracker, check_step
from tracklet.core.summary import MetricDef, parse_summary
from tracklet.core.values import MetricCoercer, check_key, check_tags, check_text
from tracklet.errors import RunFinishedError
from tracklet.sdk.config import Config
from tracklet.sdk.settings import Settings
from tracklet.sdk.summary import Summary, SummaryTracker
from tracklet.sdk.termlog import termwarn
from tracklet.sdk.writer import Writer, WriterStatus


@dataclass
class RunFields:
    """The editable descriptive fields of a run."""

    name: str
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None


class Run:
    """A run being logged. Use ``tracklet.init`` to make one; ``with`` finishes it."""

    def __init__(
        self,
        *,
        settings: Settings,
        header: SegmentHeader,
        fields: RunFields,
        writer: Writer | None,
        tracker: SummaryTracker,
        config: Mapping[str, Any],
        start_step: int = 0,
        on_finish: Callable[[Run], None] | None = None,
    ) -> None:
        self.settings = settings
        self._header = header
        self._fields = fields
        self._writer = writer
        self._on_finish = on_finish
        self._finished = False
        self._coercer = MetricCoercer()
        self._steps = StepTracker(self._emit_history, start=start_step)
        self._tracker = tracker
        self._stoppers: list[Callable[[], None]] = []
        self._files: Any = None  # a RunFiles once save() is called
        self._started = time.monotonic()
        self.finish_status: WriterStatus | None = None
        self.sweep_id: str | None = None  # set when a sweep agent started this run
        emit_config = None if writer is None else self._emit_config
        self.config = Config(emit_config, config)
        self.summary = Summary(tracker, self._sync,
                               None if writer is None else self._emit_summary)

    # -- identity --------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._header.run_id

    @property
    def project(self) -> str:
        return self._header.project

    @property
    def entity(self) -> str:
        return self._header.entity

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def dir(self) -> str:
        return str(self.settings.root.absolute() / "runs" / self.id / "files")

    @property
    def url(self) -> str | None:
        if self.settings.mode == "online":
            return f"{self.settings.base_url}/{self.entity}/{self.project}/runs/{self.id}"
        if self.settings.mode != "local":
            return None
        return f"{self.settings.ui_url}/{self.entity}/{self.project}/runs/{self.id}"

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step=`` goes to."""
        return self._steps.step

    @property
    def offline(self) -> bool:
        return self.settings.mode == "offline"

    @property
    def disabled(self) -> bool:
        return self._writer is None

    name = property(lambda self: self._fields.name,
                    lambda self, v: self._update("name", check_text(v, what="name", limit=256)))
    group = property(lambda self: self._fields.group,
                     lambda self, v: self._update("group", check_text(v, what="group")))
    job_type = property(lambda self: self._fields.job_type,
                        lambda self, v: self._update("job_type", check_text(v, what="job_type")))
    tags = property(lambda self: tuple(self._fields.tags),
                    lambda self, v: self._update("tags", check_tags(v)))
    notes = property(lambda self: self._fields.notes,
                     lambda self, v: self._update("notes", check_text(v, what="notes")))

    def _update(self, attr: str, value: Any) -> None:
        setattr(self._fields, attr, value)
        if self._writer is not None:
            self._writer.put_record(("update", time.time(), {attr: value}))

    # -- logging ---------------------------------------------------------------------------

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
        """Log metrics: numbers (nested dicts become ``a/b`` keys) at a step (see steps)."""
        if self._writer is None:
            return
        if self._finished:
            raise RunFinishedError(
                f"run {self.id} is finished; call tracklet.init() to start a new run "
                "before logging more"
            )
        values = self._coercer.coerce(data)
        if step is not None:
            step = check_step(step)
        if self._coercer.media:
            self._emit_media(step)
        self._steps.add(values, step, commit is not False)

    def _emit_media(self, step: int | None) -> None:
        """Media values go at the step their row goes to (see ``core.steps``)."""
        assert self._writer is not None
        from tracklet.sdk.media import encode_media

        raw, self._coercer.media = self._coercer.media, {}
        media: dict[str, dict[str, Any]] = {}
        files: list[tuple[str, bytes]] = []
        for key, value in raw.items():
            media[key], needs = encode_media(key, value)
            files.extend(needs)
        # the writer thread writes ``files`` into the run directory before the record
        self._writer.put_record(("media", time.time(),
                                 self._steps.step if step is None else step, media, files))

    def _emit_history(self, step: int, values: dict[str, float]) -> None:
        assert self._writer is not None
        self._writer.put(("h", time.time(), step, values))

    def _emit_config(self, values: dict[str, Any], locked: list[str]) -> None:
        assert self._writer is not None
        self._writer.put_record(("config", time.time(), values, locked))

    def _emit_summary(self, values: dict[str, Any], removed: list[str]) -> None:
        assert self._writer is not None
        self._writer.put_record(("summary", time.time(), values, removed))

    def _sync(self) -> None:
        if self._writer is not None and not self._finished:
            self._writer.barrier(timeout=5.0)

    def define_metric(self, name: str, step_metric: str | None = None,
                      step_sync: bool | None = None, hidden: bool | None = None,
                      summary: str | Iterable[str] | None = None,
                      goal: str | None = None, overwrite: bool | None = None) -> MetricDef:
        """Declare a metric (or a glob such as ``"eval/*"``): its x-axis, summary and goal.

        ``step_sync``, ``hidden`` and ``overwrite`` are accepted for W&B compatibility.
        """
        check_text(name, what="metric name", limit=256)
        if not name:
            raise ValueError("define_metric needs a metric name or a glob like 'train/*'")
        if step_metric is not None:
            check_key(step_metric, what="step_metric")
        goal = {"min": "minimize", "max": "maximize"}.get(goal or "", goal)
        d = MetricDef(name, step_metric, parse_summary(summary, goal), goal)
        self._tracker.define(d)
        if self._writer is not None:
            self._writer.put_record(("define", time.time(), d.name, d.step_metric,
                                     list(d.summary), d.goal))
        return d

    def watch(self, models: Any, criterion: Any = None, log: str | None = "gradients",
              log_freq: int = 100, idx: int | None = None, log_graph: bool = False) -> None:
        """Histograms of a torch model's gradients/parameters (see ``tracklet.watch``)."""
        from tracklet.sdk.watch import watch

        watch(models, criterion, log, log_freq, idx, log_graph, run=self)

    def unwatch(self, models: Any = None) -> None:
        from tracklet.sdk.watch import unwatch

        unwatch(models, run=self)

    # -- artifacts (tracklet.sdk.artifacts does the work) ------------------------------------

    def log_artifact(self, artifact: Any, name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None) -> Any:
        """Log an ``Artifact`` (or a file or folder path) as an output of this run; hashing
        and uploading go on in the background (``artifact.wait()`` blocks)."""
        from tracklet.sdk.artifacts.client import log_artifact

        return log_artifact(self, artifact, name=name, type=type,
                            aliases=None if aliases is None else list(aliases))

    def use_artifact(self, artifact: Any, type: str | None = None) -> Any:
        """Fetch ``name:alias`` / ``name:vN`` / ``entity/project/name:alias`` and record it
        as an input of this run; ``.download()`` gets its files."""
        from tracklet.sdk.artifacts.client import use_artifact

        return use_artifact(self, artifact, type=type)

    def save(self, glob_str: str | os.PathLike[str],
             base_path: str | os.PathLike[str] | None = None, policy: str = "live") -> list[str]:
        """Keep the files matching ``glob_str`` with this run, named relative to
        ``base_path`` (default: the folder of the pattern); returns their names. ``policy``:
        ``"now"`` uploads at once, ``"end"`` at finish, ``"live"`` both."""
        from tracklet.sdk.run_files import RunFiles

        if self._files is None:
            self._files = RunFiles(self)
        names: list[str] = self._files.save(glob_str, base_path, policy)
        return names

    # -- ending ----------------------------------------------------------------------------

    def add_stopper(self, stop: Callable[[], None]) -> None:
        """Something to stop before the final records are written (monitor, capture)."""
        self._stoppers.append(stop)

    def finish(self, exit_code: int | None = None, timeout: float | None = None,
               *, state: str | None = None, traceback: str | None = None) -> None:
        """Finish the run: flush everything, mark its state, wait at most ``timeout`` s."""
        if self._finished:
            return
        self._finished = True
        try:
            if self._writer is None:
                return
            self._steps.flush()
            for stop in reversed(self._stoppers):
                try:
                    stop()
                except Exception as exc:  # a stopper must not block the finish
                    termwarn(f"could not stop {stop!r}: {exc}")
            if state is None:
                state = "finished" if not exit_code else "failed"
            self._writer.put_record(("finish", time.time(), state, exit_code, traceback))
            limit = self.settings.finish_timeout if timeout is None else timeout
            status = self.finish_status = self._writer.close(limit)
            self._report(status)
        finally:
            if self._on_finish is not None:
                self._on_finish(self)

    def _report(self, status: WriterStatus) -> None:
        problems = []
        if status.unsaved:
            problems.append(f"{status.unsaved} records could not be saved to the run log")
        if status.dropped:
            problems.append(f"{status.dropped} records were dropped (the writer fell behind)")
        sync = self._sync_command()
        if not status.finished:
            problems.append("the writer did not finish in time; the run log keeps what it "
                            f"wrote: run `{sync}` to store the rest")
        elif self.settings.mode in ("local", "online") and status.pending:
            where = ("in the store" if self.settings.mode == "local"
                     else f"on the server {self.settings.base_url}")
            problems.append(f"{status.pending} records are in the run log but not {where} "
                            f"yet: run `{sync}`")
        if problems:
            termwarn(f"run {self.id}: " + "; ".join(problems))

    def _sync_command(self) -> str:
        folder = self.settings.root / "runs" / self.id
        if self.settings.mode == "online":
            return f"tracklet sync --host {self.settings.base_url} {folder}"
        return f"tracklet sync {self.settings.root}"

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish(exit_code=255, state="killed")
        else:
            self.finish(exit_code=1, state="failed",
                        traceback="".join(tb.format_exception(exc_type, exc, trace)))

    def __repr__(self) -> str:
        return f"<tracklet.Run {self.path} ({self.settings.mode})>"


def run_dir(root: Path, run_id: str) -> Path:
    return root / "runs" / run_id
