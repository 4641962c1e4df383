"""Applying a segment's records to the SQL store, exactly once, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from tracklet.core.chunks import merge_chunks, pack_chunk, sort_points, unpack_chunk
from tracklet.core.records import (
    ConfigUpdate,
    Console,
    DefineMetric,
    Heartbeat,
    History,
    Metadata,
    Record,
    RunFinish,
    RunStart,
    RunUpdate,
    SummaryUpdate,
    System,
)
from tracklet.core.segment import SegmentHeader
from tracklet.core.summary import MetricDef, MetricDefs, MetricStats, build_summary
from tracklet.store.sql.schema import (
    KIND_HISTORY,
    KIND_SYSTEM,
    console_lines,
    metric_keys,
    projects,
    run_segments,
    runs,
    series_chunks,
)

_RUN_FIELDS = {"name": "name", "group": "group_name", "job_type": "job_type", "tags": "tags",
               "notes": "notes"}


def dialect_insert(conn: Connection, table: Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def deep_merge(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _project_id(conn: Connection, entity: str, name: str, now: float) -> int:
    ins = dialect_insert(conn, projects).values(
        entity=entity, name=name, created_at=now, updated_at=now)
    conn.execute(ins.on_conflict_do_nothing(index_elements=["entity", "name"]))
    conn.execute(update(projects).where(projects.c.entity == entity, projects.c.name == name)
                 .values(updated_at=func.max(projects.c.updated_at, now)
                         if conn.dialect.name == "sqlite"
                         else func.greatest(projects.c.updated_at, now)))
    pid = conn.execute(select(projects.c.id).where(
        projects.c.entity == entity, projects.c.name == name)).scalar_one()
    return int(pid)


def _run_row(conn: Connection, header: SegmentHeader, now: float) -> dict[str, Any]:
    pid = _project_id(conn, header.entity, header.project, now)
    row = conn.execute(select(runs).where(runs.c.project_id == pid,
                                          runs.c.run_id == header.run_id)).mappings().first()
    if row is not None:
        return dict(row)
    values = dict(project_id=pid, run_id=header.run_id, name=header.run_id, tags=[],
                  state="running", created_at=now, heartbeat_at=now, config={},
                  config_locked=[], summary={}, summary_overrides={}, metric_defs=[],
                  run_metadata={}, dropped=0)
    key = conn.execute(runs.insert().values(**values)).inserted_primary_key
    assert key is not None
    uid = key[0]
    return {**values, "uid": uid, "group_name": None, "job_type": None, "notes": None,
            "finished_at": None, "exit_code": None, "traceback": None, "last_step": None}


class _Batch:
    """What one batch changes, gathered before writing."""

    def __init__(self, run: dict[str, Any]) -> None:
        self.run = run
        self.changes: dict[str, Any] = {}
        # (key, kind) -> [(step, ts, value), ...]
        self.points: dict[tuple[str, int], list[tuple[int, float, float]]] = defaultdict(list)
        self.lines: list[tuple[float, str, str]] = []
        self.history: list[History] = []
        self.summary_dirty = False
        self.max_ts = 0.0

    def get(self, column: str) -> Any:
        return self.changes.get(column, self.run[column])

    def set(self, column: str, value: Any) -> None:
        self.changes[column] = value


def _apply(batch: _Batch, rec: Record) -> None:
    if isinstance(rec, History):
        batch.history.append(rec)
        last = batch.get("last_step")
        batch.set("last_step", rec.step if last is None else max(last, rec.step))
    elif isinstance(rec, System):
        step, ts, points = int(rec.ts * 1000), rec.ts, batch.points
        for key, value in rec.values.items():
            points[(key, KIND_SYSTEM)].append((step, ts, value))
    elif isinstance(rec, Console):
        batch.lines.extend(rec.lines)
    elif isinstance(rec, RunStart):
        batch.set("name", rec.name)
        batch.set("group_name", rec.group)
        batch.set("job_type", rec.job_type)
        batch.set("tags", rec.tags)
        batch.set("notes", rec.notes)
        batch.set("state", "running")
        batch.set("finished_at", None)
        batch.set("exit_code", None)
        batch.set("traceback", None)
        if not rec.resumed:
            batch.set("created_at", min(batch.run["created_at"], rec.ts))
    elif isinstance(rec, RunUpdate):
        for field, value in rec.fields.items():
            if field in _RUN_FIELDS:
                batch.set(_RUN_FIELDS[field], value)
    elif isinstance(rec, Metadata):
        batch.set("run_metadata", deep_merge(batch.get("run_metadata"), rec.data))
    elif isinstance(rec, ConfigUpdate):
        batch.set("config", deep_merge(batch.get("config"), rec.values))
        if rec.locked:
            batch.set("config_locked", sorted(set(batch.get("config_locked")) | set(rec.locked)))
    elif isinstance(rec, SummaryUpdate):
        overrides = dict(batch.get("summary_overrides"))
        overrides.update(rec.values)
        for key in rec.removed:
            overrides.pop(key, None)
        batch.set("summary_overrides", overrides)
        batch.summary_dirty = True
    elif isinstance(rec, DefineMetric):
        defs = MetricDefs.from_json(batch.get("metric_defs"))
        defs.add(MetricDef(rec.name, rec.step_metric, tuple(rec.summary), rec.goal))
        batch.set("metric_defs", defs.to_json())
        batch.summary_dirty = True
    elif isinstance(rec, RunFinish):
        batch.set("state", rec.state)
        batch.set("exit_code", rec.exit_code)
        batch.set("traceback", rec.traceback)
        batch.set("finished_at", rec.ts)
        batch.set("dropped", batch.get("dropped") + rec.dropped)
    elif isinstance(rec, Heartbeat):
        pass  # its timestamp is all it brings
    batch.max_ts = max(batch.max_ts, rec.ts)


def _gather_history(batch: _Batch) -> None:
    """Turn History records into per-key point lists, transposing runs of records that
    log the same keys in one C-speed ``zip`` (the common case: the same dict each step)."""
    points = batch.points
    i, records = 0, batch.history
    while i < len(records):
        keys = tuple(records[i].values)
        j = i + 1
        while j < len(records) and tuple(records[j].values) == keys:
            j += 1
        group = records[i:j]
        steps = [r.step for r in group]
        stamps = [r.ts for r in group]
        for key, column in zip(keys, zip(*[r.values.values() for r in group])):
            points[(key, KIND_HISTORY)].extend(zip(steps, stamps, column))
        i = j
    batch.history = []


def _write_points(conn: Connection, batch: _Batch) -> None:
    uid = batch.run["uid"]
    wanted = {key for key, _ in batch.points}
    existing = {row.key: row for row in conn.execute(
        select(metric_keys).where(metric_keys.c.run_uid == uid,
                                  metric_keys.c.key.in_(wanted))).mappings()}
    missing = [{"run_uid": uid, "key": key, "kind": kind, "count": 0, "finite": 0, "total": 0.0}
               for key, kind in batch.points if key not in existing]
    if missing:
        conn.execute(metric_keys.insert(), missing)
        existing.update({row.key: row for row in conn.execute(
            select(metric_keys).where(metric_keys.c.run_uid == uid,
                                      metric_keys.c.key.in_([m["key"] for m in missing])))
            .mappings()})
    chunks: list[dict[str, Any]] = []
    stats: dict[int, MetricStats] = {}
    rewritten: list[int] = []
    for (key, _kind), pts in batch.points.items():
        row = existing[key]
        raw_steps, raw_stamps, raw_values = (list(col) for col in zip(*pts))
        st = stats[row["id"]] = MetricStats.from_row(row)
        if st.max_step is not None and min(raw_steps) <= st.max_step:
            rewritten.append(row["id"])  # steps written again: recompute below
        st.add_many(raw_steps, raw_values)  # in write order: 'last' is the newest write
        steps, stamps, values = sort_points(raw_steps, raw_stamps, raw_values)
        chunks.append({"key_id": row["id"], "min_step": steps[0], "max_step": steps[-1],
                       "n_points": len(steps), "data": pack_chunk(steps, stamps, values)})
    conn.execute(series_chunks.insert(), chunks)
    for key_id in rewritten:
        stats[key_id] = _recount(conn, key_id, stats[key_id])
    conn.execute(update(metric_keys).where(metric_keys.c.id == bindparam("b_id")),
                 [{"b_id": key_id, **st.to_row()} for key_id, st in stats.items()])
    batch.summary_dirty = True


def _recount(conn: Connection, key_id: int, running: MetricStats) -> MetricStats:
    """Statistics of a series some of whose steps were overwritten: from the points that
    stand now, except ``last``, which stays the value logged most recently."""
    rows = conn.execute(select(series_chunks.c.n_points, series_chunks.c.data)
                        .where(series_chunks.c.key_id == key_id)
                        .order_by(series_chunks.c.id)).all()
    steps, _, values = merge_chunks(unpack_chunk(r.data, r.n_points) for r in rows)
    fresh = MetricStats()
    fresh.add_many(steps, values)
    fresh.last, fresh.last_step = running.last, running.last_step
    return fresh


def _write_lines(conn: Connection, batch: _Batch) -> None:
    uid = batch.run["uid"]
    start = conn.execute(select(func.coalesce(func.max(console_lines.c.line_no), -1))
                         .where(console_lines.c.run_uid == uid)).scalar_one() + 1
    conn.execute(console_lines.insert(), [
        {"run_uid": uid, "line_no": start + i, "ts": ts, "stream": stream, "text": text}
        for i, (ts, stream, text) in enumerate(batch.lines)])


def _summary(conn: Connection, batch: _Batch) -> dict[str, Any]:
    rows = conn.execute(select(metric_keys).where(
        metric_keys.c.run_uid == batch.run["uid"], metric_keys.c.kind == KIND_HISTORY)
    ).mappings()
    stats = {row["key"]: MetricStats.from_row(row) for row in rows}
    return build_summary(stats, MetricDefs.from_json(batch.get("metric_defs")),
                         batch.get("summary_overrides"))


def apply_records(conn: Connection, header: SegmentHeader, records: Sequence[Record],
                  now: Callable[[], float]) -> int:
    """Apply ``records`` (in seq order) inside the caller's transaction; see MetadataStore."""
    first_ts = records[0].ts if records else now()
    run = _run_row(conn, header, first_ts)
    seg_key = and_(run_segments.c.run_uid == run["uid"],
                   run_segments.c.segment == header.segment)
    last_seq = conn.execute(select(run_segments.c.last_seq).where(seg_key)).scalar()
    applied = int(last_seq) if last_seq is not None else 0
    batch = _Batch(run)
    for rec in records:
        if rec.seq <= applied:
            continue
        if rec.seq != applied + 1:
            break
        _apply(batch, rec)
        applied = rec.seq
    if last_seq is not None and applied == last_seq:
        return applied
    if batch.history:
        _gather_history(batch)
    if batch.points:
        _write_points(conn, batch)
    if batch.lines:
        _write_lines(conn, batch)
    if batch.summary_dirty:
        batch.set("summary", _summary(conn, batch))
    if batch.max_ts:
        hb = batch.run["heartbeat_at"]
        batch.set("heartbeat_at", batch.max_ts if hb is None else max(hb, batch.max_ts))
    if batch.changes:
        conn.execute(update(runs).where(runs.c.uid == run["uid"]).values(**batch.changes))
    if last_seq is None:
        conn.execute(run_segments.insert().values(run_uid=run["uid"], segment=header.segment,
                                                  last_seq=applied))
    else:
        conn.execute(update(run_segments).where(seg_key).values(last_seq=applied))
    return applied
