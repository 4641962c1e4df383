"""``tracklet.agent``: run a sweep's runs one after another, as ``wandb.agent`` does.

Each turn claims the next parameters from the sweep (the local store, or the server in
online mode), then either calls ``function()`` in this process or starts the sweep's
``program`` / ``command`` as a subprocess. The run joins the sweep through environment
variables that ``tracklet.init`` reads: ``TRACKLET_SWEEP_ID``, ``TRACKLET_RUN_ID``,
``TRACKLET_SWEEP_PARAMS`` (JSON), ``TRACKLET_SWEEP_ENTITY`` / ``TRACKLET_SWEEP_PROJECT``;
``init`` then uses the sweep's run id and project and locks the parameters in the
config. An exception in ``function`` marks that run failed and the agent goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tracklet.errors import UsageError
from tracklet.sdk.settings import Settings
from tracklet.sdk.sweeps import SweepBackend, backend_for, split_sweep_path
from tracklet.sdk.termlog import termerror, termlog
from tracklet.store.sweeps import SweepInfo, SweepRunInfo

ENV_SWEEP_ID = "TRACKLET_SWEEP_ID"
ENV_PARAMS = "TRACKLET_SWEEP_PARAMS"
ENV_ENTITY = "TRACKLET_SWEEP_ENTITY"
ENV_PROJECT = "TRACKLET_SWEEP_PROJECT"


def run_env(settings: Settings, sweep: SweepInfo, run: SweepRunInfo) -> dict[str, str]:
    """What a sweep run's process needs in its environment to join the sweep."""
    env = {ENV_SWEEP_ID: sweep.sweep_id, ENV_ENTITY: sweep.entity,
           ENV_PROJECT: sweep.project, ENV_PARAMS: json.dumps(run.params),
           "TRACKLET_RUN_ID": run.run_id, "TRACKLET_MODE": settings.mode,
           "TRACKLET_DIR": str(settings.root.absolute())}
    if settings.mode == "online":
        env["TRACKLET_BASE_URL"] = settings.base_url
        env["TRACKLET_API_KEY"] = settings.api_key
    return env


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _call_function(function: Callable[[], Any], run_id: str, env: Mapping[str, str]) -> str:
    """Call ``function`` for one run; the sweep's state for it."""
    from tracklet.sdk import session

    with _environ(env):
        try:
            function()
        except KeyboardInterrupt:
            run = session.current_run()
            if run is not None and run.id == run_id:
                run.finish(exit_code=255, state="killed")
            raise
        except Exception as exc:
            trace = traceback.format_exc()
            termerror(f"run {run_id} failed: {type(exc).__name__}: {exc}\n{trace}")
            run = session.current_run()
            if run is not None and run.id == run_id:
                run.finish(exit_code=1, state="failed", traceback=trace)
            return "failed"
        run = session.current_run()
        if run is not None and run.id == run_id:
            run.finish()  # the function forgot finish(): as W&B, the agent finishes it
    return "finished"


def _call_program(sweep: SweepInfo, run: SweepRunInfo, env: Mapping[str, str]) -> str:
    from tracklet.sweeps.command import build_command
    from tracklet.sweeps.spec import parse_sweep_config

    spec = parse_sweep_config(sweep.config)
    with tempfile.TemporaryDirectory(prefix="tracklet-sweep-") as tmp:
        args_file = os.path.join(tmp, "args.json")
        with open(args_file, "w", encoding="utf-8") as f:
            json.dump(run.params, f)
        argv = build_command(spec, run.params, interpreter=sys.executable,
                             args_json_file=args_file)
        termlog(f"run {run.run_id}: {' '.join(argv)}")
        proc = subprocess.Popen(argv, env={**os.environ, **env})
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            raise
    if code == 0:
        return "finished"
    termerror(f"run {run.run_id} exited with code {code}")
    return "failed" if code > 0 else "stopped"


def agent(sweep_id: str, function: Callable[[], Any] | None = None,
          entity: str | None = None, project: str | None = None,
          count: int | None = None, *, settings: Settings | None = None) -> int:
    """Run the sweep's runs until it has none left (or ``count`` runs); returns how many
    ran. ``sweep_id`` may be ``entity/project/id``. Without ``function`` the sweep's
    ``program`` runs as a subprocess with the parameters as ``--name=value``."""
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or count < 1):
        raise UsageError(f"count must be a positive number of runs, not {count!r}")
    if function is not None and not callable(function):
        raise TypeError("agent(function=...) takes a function without arguments")
    settings = settings or Settings.resolve({"entity": entity, "project": project})
    e, p, sid = split_sweep_path(sweep_id, settings)
    backend: SweepBackend = backend_for(settings)
    name = f"{socket.gethostname()}-{os.getpid()}"
    done = 0
    try:
        sweep = backend.get_sweep(e, p, sid)
        if function is None and not sweep.config.get("program") and \
                "${program}" in sweep.config.get("command", ["${program}"]):
            raise UsageError(f"sweep {sid} names no program: pass agent(..., function=train)"
                             " or add program: train.py to the sweep config")
        while count is None or done < count:
            claim = backend.claim(sweep, name)
            if claim.run is None:
                termlog(f"sweep {sid} is {claim.sweep.state}: no more runs for this agent")
                break
            run = claim.run
            termlog(f"sweep {sid}: run {run.run_id} with {json.dumps(run.params)}")
            env = run_env(settings, sweep, run)
            try:
                state = (_call_function(function, run.run_id, env) if function is not None
                         else _call_program(sweep, run, env))
            except KeyboardInterrupt:
                backend.finish_run(sweep, run.run_id, "stopped")
                raise
            backend.finish_run(sweep, run.run_id, state)
            done += 1
    finally:
        backend.close()
    return done
