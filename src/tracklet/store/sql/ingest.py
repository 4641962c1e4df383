"""Applying a segment's records to the SQL store, exactly once, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from tracklet.core.chunks import (
    is_increasing,
    merge_chunks,
    pack_axis,
    pack_chunk,
    pack_values,
    sort_points,
    unpack_chunk,
)
from tracklet.core.records import (
    ConfigUpdate,
    Console,
    DefineMetric,
    Heartbeat,
    History,
    Media,
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
from tracklet.errors import ValidationError
from tracklet.store.blobs.base import blob_key
from tracklet.store.sql.schema import (
    KIND_HISTORY,
    KIND_SYSTEM,
    console_lines,
    media_values,
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


_LOCK_RUN = text("SELECT pg_advisory_xact_lock(hashtext(:key))")

# Statements built once: ingest runs many small transactions, and building SQLAlchemy
# expressions costs more than executing these (the compiled forms are cached per engine).
_SELECT_PROJECT = select(projects.c.id).where(projects.c.entity == bindparam("entity"),
                                              projects.c.name == bindparam("name"))
_TOUCH_PROJECT = (update(projects)
                  .where(projects.c.id == bindparam("b_pid"),
                         projects.c.updated_at < bindparam("b_now"))
                  .values(updated_at=bindparam("b_now")))
_SELECT_RUN = select(runs).where(runs.c.project_id == bindparam("pid"),
                                 runs.c.run_id == bindparam("run_id"))
_SELECT_SEGMENT = select(run_segments.c.last_seq).where(
    run_segments.c.run_uid == bindparam("b_uid"),
    run_segments.c.segment == bindparam("b_segment"))
_UPDATE_SEGMENT = (update(run_segments)
                   .where(run_segments.c.run_uid == bindparam("b_uid"),
                          run_segments.c.segment == bindparam("b_segment"))
                   .values(last_seq=bindparam("b_seq")))
_SELECT_KEYS = select(metric_keys).where(
    metric_keys.c.run_uid == bindparam("uid"),
    metric_keys.c.key.in_(bindparam("keys", expanding=True)))
_UPDATE_STATS = update(metric_keys).where(metric_keys.c.id == bindparam("b_id"))
_SELECT_HISTORY_STATS = select(metric_keys).where(metric_keys.c.run_uid == bindparam("uid"),
                                                  metric_keys.c.kind == KIND_HISTORY)


def _project_id(conn: Connection, entity: str, name: str, now: float) -> int:
    params = {"entity": entity, "name": name}
    pid = conn.execute(_SELECT_PROJECT, params).scalar()
    if pid is None:
        ins = dialect_insert(conn, projects).values(
            entity=entity, name=name, created_at=now, updated_at=now)
        conn.execute(ins.on_conflict_do_nothing(index_elements=["entity", "name"]))
        pid = conn.execute(_SELECT_PROJECT, params).scalar_one()
    return int(pid)


def _run_row(conn: Connection, header: SegmentHeader, now: float) -> dict[str, Any]:
    pid = _project_id(conn, header.entity, header.project, now)
    row = conn.execute(_SELECT_RUN, {"pid": pid, "run_id": header.run_id}).mappings().first()
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
        # (key, kind) -> (steps, timestamps, values), in write order
        self.points: dict[tuple[str, int], tuple[list[int], list[float], list[float]]] = (
            defaultdict(lambda: ([], [], [])))
        self.lines: list[tuple[float, str, str]] = []
        self.media: dict[tuple[str, int], tuple[float, dict[str, Any]]] = {}  # last wins
        self.history: list[History] = []
        self.summary_dirty = False  # defines or user values changed: recompute it all
        self.touched: dict[str, MetricStats] = {}  # history keys with new statistics
        self.max_ts = 0.0

    def get(self, column: str) -> Any:
        return self.changes.get(column, self.run[column])

    def set(self, column: str, value: Any) -> None:
        self.changes[column] = value


def _apply(batch: _Batch, rec: Record) -> None:
    if isinstance(rec, History):
        batch.history.append(rec)
    elif isinstance(rec, System):
        step, ts, points = int(rec.ts * 1000), rec.ts, batch.points
        for key, value in rec.values.items():
            steps, stamps, values = points[(key, KIND_SYSTEM)]
            steps.append(step)
            stamps.append(ts)
            values.append(value)
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
    elif isinstance(rec, Media):
        for key, data in rec.values.items():
            batch.media[(key, rec.step)] = (rec.ts, data)
    elif isinstance(rec, Heartbeat):
        pass  # its timestamp is all it brings
    batch.max_ts = max(batch.max_ts, rec.ts)


def _gather_history(batch: _Batch) -> None:
    """Turn History records into per-key point lists, transposing runs of records that
    log the same keys in one C-speed ``zip`` (the common case: the same dict each step).
    Keys of one run of records share its steps and timestamps lists (see ``_Axis``)."""
    points = batch.points
    owned: set[tuple[str, int]] = set()  # series whose steps and stamps are their own
    i, records = 0, batch.history
    top = max(r.step for r in records)
    last = batch.get("last_step")
    batch.set("last_step", top if last is None else max(last, top))
    batch.max_ts = max(batch.max_ts, max(r.ts for r in records))
    while i < len(records):
        keys = tuple(records[i].values)
        j = i + 1
        while j < len(records) and tuple(records[j].values) == keys:
            j += 1
        group = records[i:j]
        steps = [r.step for r in group]
        stamps = [r.ts for r in group]
        for key, column in zip(keys, zip(*[r.values.values() for r in group])):
            name = (key, KIND_HISTORY)
            series = points.get(name)
            if series is None:
                points[name] = (steps, stamps, list(column))
                continue
            if name not in owned:  # logged again after other keys: copy before growing
                series = points[name] = (list(series[0]), list(series[1]), series[2])
                owned.add(name)
            series[0].extend(steps)
            series[1].extend(stamps)
            series[2].extend(column)
        i = j
    batch.history = []


def _write_points(conn: Connection, batch: _Batch) -> None:
    uid = batch.run["uid"]
    wanted = {key for key, _ in batch.points}
    existing = {row.key: row for row in conn.execute(
        _SELECT_KEYS, {"uid": uid, "keys": list(wanted)}).mappings()}
    missing = [{"run_uid": uid, "key": key, "kind": kind, "count": 0, "finite": 0, "total": 0.0}
               for key, kind in batch.points if key not in existing]
    if missing:
        conn.execute(metric_keys.insert(), missing)
        existing.update({row.key: row for row in conn.execute(
            _SELECT_KEYS, {"uid": uid, "keys": [m["key"] for m in missing]}).mappings()})
    chunks: list[dict[str, Any]] = []
    stats: dict[int, MetricStats] = {}
    rewritten: list[int] = []
    axes: dict[int, _Axis] = {}  # by id() of a steps list that several series share
    for (key, _kind), (raw_steps, raw_stamps, raw_values) in batch.points.items():
        axis = axes.get(id(raw_steps))
        if axis is None or axis.stamps is not raw_stamps:
            axis = axes[id(raw_steps)] = _Axis(raw_steps, raw_stamps)
        row = existing[key]
        st = stats[row["id"]] = MetricStats.from_row(row)
        if axis.repeats or (st.max_step is not None and axis.lo <= st.max_step):
            rewritten.append(row["id"])  # steps written again: recompute below
        # in write order: 'last' is the newest write
        st.add_many(raw_steps, raw_values, top=axis.hi)
        if axis.packed is not None:  # in step order already (the common case)
            data, count = axis.packed + pack_values(raw_values), len(raw_steps)
            first, last = raw_steps[0], raw_steps[-1]
        else:
            steps, stamps, values = sort_points(raw_steps, raw_stamps, raw_values)
            data, count, first, last = (pack_chunk(steps, stamps, values), len(steps),
                                        steps[0], steps[-1])
        chunks.append({"key_id": row["id"], "min_step": first, "max_step": last,
                       "n_points": count, "data": data})
    conn.execute(series_chunks.insert(), chunks)
    for key_id in rewritten:
        stats[key_id] = _recount(conn, key_id, stats[key_id])
    conn.execute(_UPDATE_STATS,
                 [{"b_id": key_id, **st.to_row()} for key_id, st in stats.items()])
    names = {row["id"]: key for (key, kind) in batch.points
             if kind == KIND_HISTORY for row in (existing[key],)}
    batch.touched.update({names[i]: st for i, st in stats.items() if i in names})


class _Axis:
    """What every series sharing one steps list needs from it, worked out once: its
    lowest and highest step, whether a step comes twice, and, when the steps increase,
    the packed steps and stamps."""

    def __init__(self, steps: list[int], stamps: list[float]) -> None:
        self.stamps = stamps
        self.lo, self.hi = min(steps), max(steps)
        increasing = is_increasing(steps)
        self.packed = pack_axis(steps, stamps) if increasing else None
        self.repeats = not increasing and len(set(steps)) < len(steps)


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
    # text columns cannot hold NUL on PostgreSQL: show it as U+FFFD rather than fail forever
    start = conn.execute(select(func.coalesce(func.max(console_lines.c.line_no), -1))
                         .where(console_lines.c.run_uid == uid)).scalar_one() + 1
    conn.execute(console_lines.insert(), [
        {"run_uid": uid, "line_no": start + i, "ts": ts, "stream": stream[:16],
         "text": line.replace("\x00", "\ufffd")}
        for i, (ts, stream, line) in enumerate(batch.lines)])


def _blob_key(value: dict[str, Any]) -> str | None:
    """The blob of a single image (its bytes are in the blob store under this key)."""
    digest = value.get("sha256")
    if value.get("_type") != "image-file" or "missing" in value or not isinstance(digest, str):
        return None
    try:
        return blob_key(digest)
    except ValidationError:
        return None


def _write_media(conn: Connection, batch: _Batch) -> None:
    """Upsert media values: the same key at the same step keeps the last write."""
    rows = [{"run_uid": batch.run["uid"], "key": key[:256], "step": step, "ts": ts,
             "media_type": str(value.get("_type", "unknown"))[:32], "data": value,
             "blob_key": _blob_key(value)}
            for (key, step), (ts, value) in batch.media.items()]
    ins = dialect_insert(conn, media_values)
    conn.execute(ins.on_conflict_do_update(
        index_elements=["run_uid", "key", "step"],
        set_={"ts": ins.excluded.ts, "media_type": ins.excluded.media_type,
              "data": ins.excluded.data, "blob_key": ins.excluded.blob_key}), rows)


def _summary(conn: Connection, batch: _Batch) -> dict[str, Any]:
    defs = MetricDefs.from_json(batch.get("metric_defs"))
    overrides = batch.get("summary_overrides")
    if not batch.summary_dirty:  # only some series moved on: update their entries
        return {**batch.run["summary"], **build_summary(batch.touched, defs, {}), **overrides}
    rows = conn.execute(_SELECT_HISTORY_STATS, {"uid": batch.run["uid"]}).mappings()
    stats = {row["key"]: MetricStats.from_row(row) for row in rows}
    return build_summary(stats, defs, overrides)


def apply_records(conn: Connection, header: SegmentHeader, records: Sequence[Record],
                  now: Callable[[], float], *, live: bool = False) -> int:
    """Apply ``records`` (in seq order) inside the caller's transaction; see MetadataStore."""
    first_ts = records[0].ts if records else now()
    if conn.dialect.name == "postgresql":
        # one writer per run at a time, as BEGIN IMMEDIATE gives on SQLite: two deliveries
        # of the same batch (a client retrying) must not both pass the seq check
        conn.execute(_LOCK_RUN, {"key": header.run_path})
    run = _run_row(conn, header, first_ts)
    seg = {"b_uid": run["uid"], "b_segment": header.segment}
    last_seq = conn.execute(_SELECT_SEGMENT, seg).scalar()
    applied = int(last_seq) if last_seq is not None else 0
    batch = _Batch(run)
    if live and run["state"] == "crashed":  # declared dead too early: it is talking to us
        batch.set("state", "running")
        batch.set("finished_at", None)
    for rec in records:
        if rec.seq <= applied:
            continue
        if rec.seq != applied + 1:
            break
        if type(rec) is History:  # the bulk: gathered in one go by _gather_history
            batch.history.append(rec)
        else:
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
    if batch.media:
        _write_media(conn, batch)
    if batch.summary_dirty or batch.touched:
        batch.set("summary", _summary(conn, batch))
    if live:  # the store's clock: a client's clock may be wrong
        batch.set("heartbeat_at", now())
    elif batch.max_ts:  # a replay: the run was last heard of when it wrote these
        hb = batch.run["heartbeat_at"]
        batch.set("heartbeat_at", batch.max_ts if hb is None else max(hb, batch.max_ts))
    if batch.changes:
        conn.execute(update(runs).where(runs.c.uid == run["uid"]).values(**batch.changes))
    if last_seq is None:
        conn.execute(run_segments.insert().values(run_uid=run["uid"], segment=header.segment,
                                                  last_seq=applied))
    else:
        conn.execute(_UPDATE_SEGMENT, {**seg, "b_seq": applied})
    conn.execute(_TOUCH_PROJECT, {"b_pid": run["project_id"], "b_now": batch.max_ts or now()})
    return applied
