"""What every metadata store offers, whatever the database behind it.

One batch write primitive (``append_records``) applies a segment's records idempotently;
everything else reads. Optional capabilities get their own protocols later, never stubs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tracklet.core.records import Record
from tracklet.core.segment import SegmentHeader


@dataclass(frozen=True)
class RunRef:
    entity: str
    project: str
    run_id: str

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"


@dataclass(frozen=True)
class ProjectInfo:
    entity: str
    name: str
    created_at: float
    updated_at: float
    run_count: int


@dataclass(frozen=True)
class RunInfo:
    entity: str
    project: str
    run_id: str
    name: str
    state: str
    created_at: float
    heartbeat_at: float | None
    finished_at: float | None
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    exit_code: int | None = None
    traceback: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    config_locked: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    metric_defs: list[dict[str, Any]] = field(default_factory=list)
    last_step: int | None = None
    dropped: int = 0

    @property
    def ref(self) -> RunRef:
        return RunRef(self.entity, self.project, self.run_id)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class RunFilter:
    """One condition on runs. ``field`` is ``state``, ``tags``, ``group``, ``job_type``,
    ``name``, ``created_at``, ``config.<key>`` or ``summary.<key>`` (nested keys with dots)."""

    field: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "contains"]
    value: Any


@dataclass(frozen=True)
class Series:
    """One metric of one run: points sorted by step. NaN values are kept."""

    key: str
    steps: list[int]
    timestamps: list[float]
    values: list[float]


@dataclass(frozen=True)
class ConsoleLine:
    line_no: int
    ts: float
    stream: str
    text: str


@dataclass(frozen=True)
class MediaValue:
    """One media value (a histogram, an image, a list of images, a table) logged at a
    step: its W&B-shaped JSON (``{"_type": "histogram", ...}``, ``core.media``)."""

    key: str
    step: int
    ts: float
    media_type: str
    data: dict[str, Any]


class MediaReader(Protocol):
    """Optional capability: reading the media values of a run."""

    def list_media_keys(self, run: RunRef) -> list[str]: ...

    def read_media(self, run: RunRef, keys: Sequence[str] | None = None, *,
                   min_step: int | None = None, max_step: int | None = None,
                   offset: int = 0, limit: int | None = None) -> list[MediaValue]:
        """Media values of ``keys`` (all when None), ordered by step then key; the
        ``limit`` values after the first ``offset`` ones."""
        ...

    def find_media_image(self, run: RunRef, digest: str) -> dict[str, Any] | None:
        """The ``image-file`` JSON of blob ``digest`` when a media value of the run holds
        it and the blob was stored for the run's project; else None."""
        ...


class MetadataStore(Protocol):
    """Runs, their history and their metadata, in some database."""

    def append_records(self, header: SegmentHeader, records: Sequence[Record], *,
                       live: bool = False) -> int:
        """Apply records of one segment exactly once; return the highest contiguous ``seq``
        now applied for that segment (records at or below it are skipped, a gap stops).

        ``live``: the records come from the running process itself (not a replay such as
        ``tracklet sync``). A live delivery is a heartbeat on the store's own clock (so a
        client's wrong clock cannot get its run declared crashed), and it brings a run that
        was marked ``crashed`` for want of heartbeats back to ``running``."""
        ...

    def get_segment_seq(self, header: SegmentHeader) -> int: ...

    def list_projects(self, entity: str | None = None) -> list[ProjectInfo]: ...

    def get_run(self, run: RunRef) -> RunInfo: ...

    def list_runs(
        self,
        entity: str,
        project: str,
        *,
        filters: Sequence[RunFilter] = (),
        order: Sequence[str] = ("-created_at",),
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page: ...

    def list_metric_keys(self, run: RunRef, *, kind: Literal["history", "system"]) -> list[str]:
        ...

    def list_project_keys(self, entity: str, project: str, *,
                          kind: Literal["history", "system"]) -> list[str]:
        """Every metric key any run of the project logged, sorted."""
        ...

    def read_series(
        self,
        run: RunRef,
        keys: Sequence[str],
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        limit: int | None = None,
    ) -> list[Series]:
        """Points of each key with min_step <= step <= max_step, the first ``limit`` per key."""
        ...

    def read_console(
        self, run: RunRef, *, offset: int = 0, limit: int = 1000, search: str | None = None
    ) -> list[ConsoleLine]: ...

    def update_run(self, run: RunRef, changes: Mapping[str, Any]) -> RunInfo:
        """Edit a run's descriptive fields: ``name``, ``tags`` or ``notes`` (None clears
        notes); what the UI and ``PATCH`` change. Returns the run as stored now."""
        ...

    def mark_crashed(self, runs: Sequence[RunRef], *, at: float) -> int:
        """Set ``crashed`` on those of ``runs`` that are still ``running``."""
        ...

    def list_running(self, *, heartbeat_before: float | None = None) -> list[RunInfo]: ...

    def delete_run(self, run: RunRef) -> None: ...

    def close(self) -> None: ...
