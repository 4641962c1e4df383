"""Tracklet: self-hosted experiment tracking with a W&B-shaped API.

    import tracklet
    run = tracklet.init(project="my-project", config={"lr": 1e-3})
    for step in range(100):
        tracklet.log({"train/loss": 1 / (step + 1)})
    tracklet.finish()

Importing does no work: every name below is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = [
    "Api",
    "Artifact",
    "Histogram",
    "Image",
    "Run",
    "Settings",
    "Table",
    "TrackletError",
    "__version__",
    "agent",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "log_artifact",
    "login",
    "restore",
    "run",
    "save",
    "summary",
    "sweep",
    "termerror",
    "termlog",
    "termwarn",
    "unwatch",
    "use_artifact",
    "watch",
]

# The training path is imported now so that init() and log() never wait on an import;
# everything heavy (msgspec, SQLAlchemy, psutil, git) loads later on background threads.
from tracklet.integrations import install_import_hook
from tracklet.sdk.run import Run
from tracklet.sdk.session import define_metric, finish, init, log
from tracklet.sdk.settings import Settings

install_import_hook()  # report_to="tracklet" once transformers loads its integrations

_LAZY = {
    "Api": "tracklet.sdk.api",
    "TrackletError": "tracklet.errors",
    "Artifact": "tracklet.sdk.artifacts",
    "log_artifact": "tracklet.sdk.artifacts",
    "use_artifact": "tracklet.sdk.artifacts",
    "termlog": "tracklet.sdk.termlog",
    "termwarn": "tracklet.sdk.termlog",
    "termerror": "tracklet.sdk.termlog",
    "Histogram": "tracklet.sdk.media",
    "Image": "tracklet.sdk.image",
    "Table": "tracklet.sdk.table",
    "watch": "tracklet.sdk.watch",
    "unwatch": "tracklet.sdk.watch",
    "login": "tracklet.sdk.wandb_compat",
    "save": "tracklet.sdk.run_files",
    "restore": "tracklet.sdk.run_files",
    "sweep": "tracklet.sdk.sweeps",
    "agent": "tracklet.sdk.sweep_agent",
}

if TYPE_CHECKING:
    from tracklet.errors import TrackletError
    from tracklet.sdk.api import Api
    from tracklet.sdk.artifacts import Artifact, log_artifact, use_artifact
    from tracklet.sdk.config import Config
    from tracklet.sdk.image import Image
    from tracklet.sdk.media import Histogram
    from tracklet.sdk.run_files import restore, save
    from tracklet.sdk.summary import Summary
    from tracklet.sdk.sweep_agent import agent
    from tracklet.sdk.sweeps import sweep
    from tracklet.sdk.table import Table
    from tracklet.sdk.termlog import termerror, termlog, termwarn
    from tracklet.sdk.wandb_compat import login
    from tracklet.sdk.watch import unwatch, watch

    run: Run | None
    config: Config
    summary: Summary


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in ("run", "config", "summary"):
        from tracklet.sdk import session

        current = session.current_run()
        if name == "run":
            return current
        if current is None:
            from tracklet.sdk.preinit import Preinit

            return Preinit(name)
        return getattr(current, name)
    from tracklet.sdk.wandb_compat import missing

    reason = missing(name)
    if reason is not None:  # a W&B name not implemented yet: say so
        raise AttributeError(reason, name=name, obj=None)
    raise AttributeError(f"module 'tracklet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
