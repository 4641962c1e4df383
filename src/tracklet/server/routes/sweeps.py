"""``/api/v1/sweeps``: hyperparameter sweeps of a project, and their agents' claims.

Whoever may read a project reads its sweeps and the runs they created (with each run's
parameters, state and summary: what a sweep page draws); whoever may write it creates
sweeps, claims runs (agents), reports how a run ended and pauses, resumes or cancels a
sweep. A claim is atomic across any number of agents and server processes.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from tracklet.errors import NotFoundError
from tracklet.server.auth import Authorized
from tracklet.server.responses import respond
from tracklet.server.routes.common import errors
from tracklet.store.sql.sweeps import SqlSweepStore
from tracklet.sweeps.service import SweepController

router = APIRouter(tags=["sweeps"])


def get_sweeps(request: Request) -> SqlSweepStore:
    state = request.app.state
    if getattr(state, "sweeps", None) is None:  # opened on first use, closed by the app
        state.sweeps = SqlSweepStore(state.settings.db_url)
    return cast(SqlSweepStore, state.sweeps)


Sweeps = Annotated[SqlSweepStore, Depends(get_sweeps)]


class SweepIn(BaseModel):
    config: dict[str, Any] = Field(description="The sweep config, in W&B's format "
                                   "(method, metric, parameters ...).")


class SweepOut(BaseModel):
    sweep_id: str
    entity: str
    project: str
    name: str | None
    method: str
    config: dict[str, Any]
    state: str
    created_at: float
    updated_at: float
    created_by: str | None
    run_count: int


class SweepList(BaseModel):
    items: list[SweepOut]


class SweepRunOut(BaseModel):
    sweep_id: str
    run_id: str
    seq: int
    params: dict[str, Any]
    grid_index: int | None
    state: str
    created_at: float
    updated_at: float
    agent: str | None
    run_state: str | None
    summary: dict[str, Any]


class SweepRunList(BaseModel):
    items: list[SweepRunOut]


class ClaimIn(BaseModel):
    agent: str | None = Field(default=None, max_length=128,
                              description="A name for the agent (host-pid), kept with the run.")


class ClaimOut(BaseModel):
    run: SweepRunOut | None = Field(description="The run to do; null when the sweep has none "
                                    "left or is paused/cancelled (see sweep.state).")
    sweep: SweepOut


class StateIn(BaseModel):
    state: Literal["running", "paused", "finished", "cancelled"]


class RunStateIn(BaseModel):
    state: Literal["finished", "failed", "stopped"]


class RunSweepOut(BaseModel):
    sweep_id: str | None


def _mine(sweeps: SqlSweepStore, entity: str, project: str, sweep_id: str) -> None:
    sweeps.get_sweep(sweep_id, entity, project)  # NotFound unless it is this project's


@router.post("/sweeps/{entity}/{project}", status_code=201, response_model=SweepOut,
             responses=errors(400, 401, 403, 404, 503), summary="Create a sweep")
def create_sweep(request: Request, entity: str, project: str, body: SweepIn,
                 auth: Authorized, sweeps: Sweeps) -> Response:
    auth.require_write(entity, project)
    info = SweepController(sweeps).create(entity, project, body.config,
                                          created_by=auth.caller.username)
    return respond(request, dataclasses.asdict(info), status_code=201)


@router.get("/sweeps/{entity}/{project}", response_model=SweepList,
            responses=errors(400, 401, 404, 503), summary="List a project's sweeps")
def list_sweeps(request: Request, entity: str, project: str, auth: Authorized,
                sweeps: Sweeps) -> Response:
    auth.require_read(entity, project)
    found = sweeps.list_sweeps(entity, project)
    return respond(request, {"items": [dataclasses.asdict(s) for s in found]})


@router.get("/sweeps/{entity}/{project}/{sweep_id}", response_model=SweepOut,
            responses=errors(400, 401, 404, 503), summary="Get a sweep")
def get_sweep(request: Request, entity: str, project: str, sweep_id: str,
              auth: Authorized, sweeps: Sweeps) -> Response:
    auth.require_read(entity, project)
    return respond(request, dataclasses.asdict(sweeps.get_sweep(sweep_id, entity, project)))


@router.patch("/sweeps/{entity}/{project}/{sweep_id}", response_model=SweepOut,
              responses=errors(400, 401, 403, 404, 409, 503),
              summary="Pause, resume, finish or cancel a sweep")
def set_sweep_state(request: Request, entity: str, project: str, sweep_id: str,
                    body: StateIn, auth: Authorized, sweeps: Sweeps) -> Response:
    auth.require_write(entity, project)
    info = sweeps.set_sweep_state(sweep_id, body.state, entity=entity, project=project)
    return respond(request, dataclasses.asdict(info))


@router.get("/sweeps/{entity}/{project}/{sweep_id}/runs", response_model=SweepRunList,
            responses=errors(400, 401, 404, 503),
            summary="The runs a sweep created, with their parameters, state and summary")
def list_sweep_runs(request: Request, entity: str, project: str, sweep_id: str,
                    auth: Authorized, sweeps: Sweeps) -> Response:
    auth.require_read(entity, project)
    _mine(sweeps, entity, project, sweep_id)
    found = sweeps.list_sweep_runs(sweep_id)
    return respond(request, {"items": [dataclasses.asdict(r) for r in found]})


@router.post("/sweeps/{entity}/{project}/{sweep_id}/claim", response_model=ClaimOut,
             responses=errors(400, 401, 403, 404, 503),
             summary="Claim the next run of a sweep (agents)")
def claim_run(request: Request, entity: str, project: str, sweep_id: str, body: ClaimIn,
              auth: Authorized, sweeps: Sweeps) -> Response:
    auth.require_write(entity, project)
    _mine(sweeps, entity, project, sweep_id)
    claim = SweepController(sweeps).claim(sweep_id, agent=body.agent)
    return respond(request, {"run": None if claim.run is None
                             else dataclasses.asdict(claim.run),
                             "sweep": dataclasses.asdict(claim.sweep)})


@router.patch("/sweeps/{entity}/{project}/{sweep_id}/runs/{run_id}",
              response_model=SweepRunOut, responses=errors(400, 401, 403, 404, 503),
              summary="Report how a sweep run ended (agents)")
def finish_sweep_run(request: Request, entity: str, project: str, sweep_id: str,
                     run_id: str, body: RunStateIn, auth: Authorized,
                     sweeps: Sweeps) -> Response:
    auth.require_write(entity, project)
    _mine(sweeps, entity, project, sweep_id)
    return respond(request, dataclasses.asdict(sweeps.finish_run(sweep_id, run_id,
                                                                 body.state)))


class StopOut(BaseModel):
    stop: bool = Field(description="True when early termination (hyperband) stops the run.")


@router.get("/sweeps/{entity}/{project}/{sweep_id}/runs/{run_id}/stop",
            response_model=StopOut, responses=errors(400, 401, 404, 503),
            summary="Whether early termination stops a sweep run now (agents ask)")
def should_stop_run(request: Request, entity: str, project: str, sweep_id: str,
                    run_id: str, auth: Authorized, sweeps: Sweeps) -> Response:
    from tracklet.server.deps import get_store
    from tracklet.sweeps.service import should_stop

    auth.require_read(entity, project)
    _mine(sweeps, entity, project, sweep_id)
    return respond(request, {"stop": should_stop(sweeps, get_store(request), sweep_id,
                                                 run_id)})


@router.get("/runs/{entity}/{project}/{run_id}/sweep", response_model=RunSweepOut,
            responses=errors(400, 401, 404, 503),
            summary="The sweep that created a run (sweep_id null when none did)")
def run_sweep(request: Request, entity: str, project: str, run_id: str, auth: Authorized,
              sweeps: Sweeps) -> Response:
    auth.require_read(entity, project, run_id)
    found = sweeps.sweep_of_run(entity, project, run_id)
    if found is None and not auth.can_read(entity, project, run_id):
        raise NotFoundError(f"no run {run_id}")
    return respond(request, {"sweep_id": found})
