"""``SqlSweepStore``: sweeps and the runs they hand out, in the metadata database
(tables ``sweeps`` and ``sweep_runs``, revision 0008).

A claim is one write transaction: the sweep's row is locked (``BEGIN IMMEDIATE`` on
SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), the runs handed out so far are read,
the caller's proposer picks the next parameters, and the claim is inserted. Agents on
any number of machines therefore never get the same grid point and never pass
``run_cap``; the unique ``(sweep, grid_index)`` constraint holds it in the database too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracklet.errors import ConflictError, NotFoundError, ValidationError
from tracklet.store.sql.engine import SqlStoreBase
from tracklet.store.sql.schema import projects, runs, sweep_runs, sweeps
from tracklet.store.sweeps import (
    CLAIM_STATES,
    SWEEP_STATES,
    TRANSITIONS,
    Claim,
    Proposer,
    SweepInfo,
    SweepRunInfo,
)


class SqlSweepStore(SqlStoreBase):
    what = "sweep store"

    def create_sweep(self, sweep_id: str, entity: str, project: str, *, method: str,
                     config: dict[str, Any], name: str | None = None,
                     created_by: str | None = None) -> SweepInfo:
        now = self._clock()
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(sweeps).values(
                    sweep_id=sweep_id, entity=entity, project=project, name=name,
                    method=method, config=config, state="running", created_by=created_by,
                    created_at=now, updated_at=now))
        except IntegrityError:
            raise ConflictError(f"a sweep with id {sweep_id} exists already; pick another "
                                "id", details={"sweep_id": sweep_id}) from None
        return self.get_sweep(sweep_id)

    def get_sweep(self, sweep_id: str, entity: str | None = None,
                  project: str | None = None) -> SweepInfo:
        """The sweep by id (it must belong to ``entity``/``project`` when given)."""
        with self._engine.connect() as conn:
            row = conn.execute(_sweep_query().where(sweeps.c.sweep_id == sweep_id)).first()
        if row is None or (entity is not None and row.entity != entity) or (
                project is not None and row.project != project):
            where = f" in {entity}/{project}" if entity and project else ""
            raise NotFoundError(f"no sweep {sweep_id}{where}: check the id (`tracklet sweep "
                                "ls` lists them)", details={"sweep_id": sweep_id})
        return _sweep(row)

    def list_sweeps(self, entity: str, project: str) -> list[SweepInfo]:
        query = (_sweep_query().where(sweeps.c.entity == entity, sweeps.c.project == project)
                 .order_by(sweeps.c.created_at.desc(), sweeps.c.uid.desc()))
        with self._engine.connect() as conn:
            return [_sweep(row) for row in conn.execute(query)]

    def set_sweep_state(self, sweep_id: str, state: str, *, entity: str | None = None,
                        project: str | None = None) -> SweepInfo:
        if state not in SWEEP_STATES:
            raise ValidationError(f"a sweep's state is one of {', '.join(SWEEP_STATES)}, "
                                  f"not {state!r}")
        current = self.get_sweep(sweep_id, entity, project)
        if state != current.state:
            if state not in TRANSITIONS[current.state]:
                raise ConflictError(f"sweep {sweep_id} is {current.state}; it cannot become "
                                    f"{state}", details={"state": current.state})
            with self._engine.begin() as conn:
                conn.execute(update(sweeps).where(sweeps.c.sweep_id == sweep_id)
                             .values(state=state, updated_at=self._clock()))
        return self.get_sweep(sweep_id)

    def list_sweep_runs(self, sweep_id: str) -> list[SweepRunInfo]:
        """The runs handed out, in claim order, with their runs' state and summary."""
        sweep = self.get_sweep(sweep_id)
        with self._engine.connect() as conn:
            uid = conn.execute(select(sweeps.c.uid).where(sweeps.c.sweep_id == sweep_id)
                               ).scalar_one()
            return self._runs(conn, uid, sweep)

    def claim_run(self, sweep_id: str, *, run_id: str, propose: Proposer,
                  agent: str | None = None) -> Claim:
        """Hand out the next run of a running sweep (see the module's docstring); a sweep
        whose proposer has nothing left becomes ``finished``."""
        with self._engine.begin() as conn:
            row = conn.execute(select(sweeps).where(sweeps.c.sweep_id == sweep_id)
                               .with_for_update()).first()
            if row is None:
                raise NotFoundError(f"no sweep {sweep_id}", details={"sweep_id": sweep_id})
            tried = self._runs(conn, row.uid, _sweep(row, 0))
            info = _sweep(row, len(tried))
            if info.state != "running":
                return Claim(None, info)
            proposal = propose(info, tried)
            now = self._clock()
            if proposal is None:
                conn.execute(update(sweeps).where(sweeps.c.uid == row.uid)
                             .values(state="finished", updated_at=now))
                return Claim(None, _replace_state(info, "finished", now))
            params, grid_index = proposal
            seq = len(tried)
            conn.execute(insert(sweep_runs).values(
                sweep_uid=row.uid, run_id=run_id, seq=seq, params=params,
                grid_index=grid_index, state="claimed", agent=agent, created_at=now,
                updated_at=now))
            conn.execute(update(sweeps).where(sweeps.c.uid == row.uid).values(updated_at=now))
        claimed = SweepRunInfo(sweep_id=sweep_id, run_id=run_id, seq=seq, params=params,
                               grid_index=grid_index, state="claimed", created_at=now,
                               updated_at=now, agent=agent)
        return Claim(claimed, SweepInfo(**{**info.__dict__, "run_count": seq + 1}))

    def finish_run(self, sweep_id: str, run_id: str, state: str) -> SweepRunInfo:
        """Record how a handed-out run ended (``finished``, ``failed`` or ``stopped``)."""
        if state not in CLAIM_STATES or state == "claimed":
            raise ValidationError(f"a sweep run ends finished, failed or stopped, not "
                                  f"{state!r}")
        with self._engine.begin() as conn:
            uid = conn.execute(select(sweeps.c.uid).where(sweeps.c.sweep_id == sweep_id)
                               ).scalar()
            done = uid is not None and conn.execute(
                update(sweep_runs).where(sweep_runs.c.sweep_uid == uid,
                                         sweep_runs.c.run_id == run_id)
                .values(state=state, updated_at=self._clock())).rowcount
        if not done:
            raise NotFoundError(f"sweep {sweep_id} handed out no run {run_id}",
                                details={"sweep_id": sweep_id, "run_id": run_id})
        return next(r for r in self.list_sweep_runs(sweep_id) if r.run_id == run_id)

    def sweep_of_run(self, entity: str, project: str, run_id: str) -> str | None:
        """The id of the sweep that handed out this run, if any."""
        query = (select(sweeps.c.sweep_id).select_from(sweep_runs.join(sweeps))
                 .where(sweep_runs.c.run_id == run_id, sweeps.c.entity == entity,
                        sweeps.c.project == project))
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else str(found)

    def _runs(self, conn: Any, uid: int, sweep: SweepInfo) -> list[SweepRunInfo]:
        rows = conn.execute(select(sweep_runs).where(sweep_runs.c.sweep_uid == uid)
                            .order_by(sweep_runs.c.seq)).all()
        stored = _stored_runs(conn, sweep.entity, sweep.project, [r.run_id for r in rows])
        out = []
        for r in rows:
            state, summary = stored.get(r.run_id, (None, {}))
            out.append(SweepRunInfo(sweep_id=sweep.sweep_id, run_id=r.run_id, seq=r.seq,
                                    params=dict(r.params), grid_index=r.grid_index,
                                    state=r.state, created_at=r.created_at,
                                    updated_at=r.updated_at, agent=r.agent,
                                    run_state=state, summary=summary))
        return out


def _stored_runs(conn: Any, entity: str, project: str,
                 run_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start:start + 500]
        query = (select(runs.c.run_id, runs.c.state, runs.c.summary)
                 .select_from(runs.join(projects, runs.c.project_id == projects.c.id))
                 .where(projects.c.entity == entity, projects.c.name == project,
                        runs.c.run_id.in_(chunk)))
        for row in conn.execute(query):
            out[row.run_id] = (row.state, dict(row.summary or {}))
    return out


def _sweep_query() -> Any:
    count = (select(func.count()).where(sweep_runs.c.sweep_uid == sweeps.c.uid)
             .scalar_subquery())
    return select(sweeps, count.label("run_count"))


def _sweep(row: Any, run_count: int | None = None) -> SweepInfo:
    return SweepInfo(sweep_id=row.sweep_id, entity=row.entity, project=row.project,
                     name=row.name, method=row.method, config=dict(row.config),
                     state=row.state, created_at=row.created_at, updated_at=row.updated_at,
                     created_by=row.created_by,
                     run_count=run_count if run_count is not None else row.run_count)


def _replace_state(info: SweepInfo, state: str, now: float) -> SweepInfo:
    return SweepInfo(**{**info.__dict__, "state": state, "updated_at": now})
