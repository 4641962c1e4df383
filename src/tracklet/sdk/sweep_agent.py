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

import _thread
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tracklet.errors import UsageError
from tracklet.sdk.settings import Settings
from tracklet.sdk.sweeps import SweepBackend, backend_for, split_sweep_path
from tracklet.sdk.termlog import termerror, termlog, termwarn
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


class _Watcher:
    """Asks the sweep every ``interval`` seconds whether early termination stops the run;
    when it does, calls ``stop`` (once) while the run is still going."""

    def __init__(self, backend: SweepBackend, sweep: SweepInfo, run_id: str,
                 interval: float, stop: Callable[[], None]) -> None:
        self._backend, self._sweep, self._run_id = backend, sweep, run_id
        self._interval, self._stop = interval, stop
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._active = True
        self.stopped = False
        self._thread = threading.Thread(target=self._loop, name="tracklet-sweep-watch",
                                        daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        warned = False
        while not self._done.wait(self._interval):
            try:
                stop = self._backend.should_stop(self._sweep, self._run_id)
            except Exception as exc:  # the store or server is away: ask again later
                if not warned:
                    termwarn(f"cannot ask whether run {self._run_id} should stop early: "
                             f"{exc}; asking again")
                    warned = True
                continue
            if stop:
                with self._lock:
                    if not self._active:
                        return
                    self.stopped = True
                    termlog(f"run {self._run_id}: stopped early by the sweep's hyperband")
                    self._stop()
                return

    def close(self) -> None:
        with self._lock:
            self._active = False
        self._done.set()


def _call_function(function: Callable[[], Any], run_id: str, env: Mapping[str, str],
                   watch: Callable[[Callable[[], None]], _Watcher | None]) -> str:
    """Call ``function`` for one run; the sweep's state for it. A run that early
    termination stops gets a KeyboardInterrupt in ``function`` and ends ``killed``."""
    from tracklet.sdk import session

    with _environ(env):
        watcher = watch(_thread.interrupt_main)
        try:
            try:
                function()
            finally:
                if watcher is not None:
                    watcher.close()
        except KeyboardInterrupt:
            run = session.current_run()
            if run is not None and run.id == run_id:
                run.finish(exit_code=255, state="killed")
            if watcher is not None and watcher.stopped:
                return "stopped"
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


def _call_program(sweep: SweepInfo, run: SweepRunInfo, env: Mapping[str, str],
                  watch: Callable[[Callable[[], None]], _Watcher | None]) -> str:
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
        watcher = watch(lambda: proc.send_signal(signal.SIGINT))  # the run ends killed
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            raise
        finally:
            if watcher is not None:
                watcher.close()
    if watcher is not None and watcher.stopped:
        return "stopped"
    if code == 0:
        return "finished"
    termerror(f"run {run.run_id} exited with code {code}")
    return "failed" if code > 0 else "stopped"


def _watch_factory(backend: SweepBackend, sweep: SweepInfo, run_id: str, interval: float,
                   *, in_process: bool) -> Callable[[Callable[[], None]], _Watcher | None]:
    def watch(stop: Callable[[], None]) -> _Watcher | None:
        if not sweep.config.get("early_terminate"):
            return None
        if in_process and threading.current_thread() is not threading.main_thread():
            termwarn("early termination of a sweep function needs the agent on the main "
                     "thread; this run goes to its end")
            return None
        return _Watcher(backend, sweep, run_id, interval, stop)

    return watch


def agent(sweep_id: str, function: Callable[[], Any] | None = None,
          entity: str | None = None, project: str | None = None,
          count: int | None = None, *, settings: Settings | None = None,
          poll_interval: float = 5.0) -> int:
    """Run the sweep's runs until it has none left (or ``count`` runs); returns how many
    ran. ``sweep_id`` may be ``entity/project/id``. Without ``function`` the sweep's
    ``program`` runs as a subprocess with the parameters as ``--name=value``. With
    ``early_terminate`` in the sweep, the agent asks every ``poll_interval``
    seconds whether hyperband stops the run (a function gets a KeyboardInterrupt, a
    program a SIGINT; the run ends ``killed``). While the sweep is paused the agent
    waits, asking again every ``poll_interval`` seconds."""
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
        waiting = False
        while count is None or done < count:
            claim = backend.claim(sweep, name)
            if claim.run is None and claim.sweep.state == "paused":
                if not waiting:  # as W&B's agents: wait for `tracklet sweep resume`
                    termlog(f"sweep {sid} is paused: waiting for it to be resumed")
                    waiting = True
                time.sleep(poll_interval)
                continue
            waiting = False
            if claim.run is None:
                termlog(f"sweep {sid} is {claim.sweep.state}: no more runs for this agent")
                break
            run = claim.run
            termlog(f"sweep {sid}: run {run.run_id} with {json.dumps(run.params)}")
            env = run_env(settings, sweep, run)
            watch = _watch_factory(backend, sweep, run.run_id, poll_interval,
                                   in_process=function is not None)
            try:
                state = (_call_function(function, run.run_id, env, watch)
                         if function is not None else _call_program(sweep, run, env, watch))
            except KeyboardInterrupt:
                backend.finish_run(sweep, run.run_id, "stopped")
                raise
            backend.finish_run(sweep, run.run_id, state)
            done += 1
    finally:
        backend.close()
    return done
