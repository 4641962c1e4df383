"""The shapes of request and response bodies, for validation and for the OpenAPI document.

Endpoints build their responses as plain data (see ``responses``); these models describe
them. Numbers that may be NaN or infinite are ``float | str`` here: JSON responses carry
non-finite floats as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Number = float | str  # a float, or "NaN" / "Infinity" / "-Infinity" in JSON


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`.")
    message: str = Field(description="What went wrong and what to do, safe to show.")
    details: dict[str, Any] = Field(description="Extra facts, e.g. the limit that was hit.")


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str


class Acked(BaseModel):
    acked: int = Field(description="The highest contiguous `seq` of the segment the server "
                                   "holds (0 when it holds none); resume after it.")


class ProjectOut(BaseModel):
    entity: str
    name: str
    created_at: float
    updated_at: float
    run_count: int


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null "
                                                "on the last page.")


class RunOut(BaseModel):
    entity: str
    project: str
    run_id: str
    name: str
    state: str = Field(description="running, finished, failed, crashed or killed")
    created_at: float
    heartbeat_at: float | None
    finished_at: float | None
    group: str | None
    job_type: str | None
    tags: list[str]
    notes: str | None
    exit_code: int | None
    traceback: str | None
    config: dict[str, Any]
    config_locked: list[str]
    summary: dict[str, Any]
    metadata: dict[str, Any]
    metric_defs: list[dict[str, Any]]
    last_step: int | None
    dropped: int


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None


class RunPatch(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    tags: list[str] | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=1_000_000)

    @field_validator("name", "tags", "notes")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("text may not hold NUL characters")
        return value


class KeyPage(BaseModel):
    items: list[str]
    next_cursor: str | None


class HistorySeries(BaseModel):
    key: str
    steps: list[int]
    timestamps: list[float]
    values: list[Number]


class HistoryOut(BaseModel):
    series: list[HistorySeries]
    next_min_step: int | None = Field(description="Pass as `min_step` for the next page "
                                                  "(null when this page holds the rest).")


class Points(BaseModel):
    x: list[Number]
    step: list[int]
    value: list[Number]


class Buckets(BaseModel):
    x: list[Number] = Field(description="x of each bucket's last point")
    min: list[Number]
    max: list[Number]
    mean: list[Number]
    last: list[Number]
    count: list[int]


class SeriesOut(BaseModel):
    run: str = Field(description="entity/project/run_id")
    key: str
    x_axis: str
    count: int = Field(description="Points in the requested x range.")
    points: Points | None = Field(description="The raw points, when `count` <= `buckets`.")
    buckets: Buckets | None = Field(description="Per-bucket aggregates, when there are "
                                                "more points than `buckets`.")


class SeriesResponse(BaseModel):
    series: list[SeriesOut]


class ConsoleLineOut(BaseModel):
    line_no: int
    ts: float
    stream: str
    text: str


class ConsolePage(BaseModel):
    items: list[ConsoleLineOut]
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null "
                                                "on the last page.")
