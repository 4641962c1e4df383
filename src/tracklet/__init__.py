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
    "Run",
    "Settings",
    "TrackletError",
    "__version__",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "log_artifact",
    "run",
    "summary",
    "termerror",
    "termlog",
    "termwarn",
    "use_artifact",
]

# The training path is imported now so that init() and log() never wait on an import;
# everything heavy (msgspec, SQLAlchemy, psutil, git) loads later on background threads.
from tracklet.sdk.run import Run
from tracklet.sdk.session import define_metric, finish, init, log
from tracklet.sdk.settings import Settings

_LAZY = {
    "Api": "tracklet.sdk.api",
    "TrackletError": "tracklet.errors",
    "Artifact": "tracklet.sdk.artifacts",
    "log_artifact": "tracklet.sdk.artifacts",
    "use_artifact": "tracklet.sdk.artifacts",
    "termlog": "tracklet.sdk.termlog",
    "termwarn": "tracklet.sdk.termlog",
    "termerror": "tracklet.sdk.termlog",
}

if TYPE_CHECKING:
    from tracklet.errors import TrackletError
    from tracklet.sdk.api import Api
    from tracklet.sdk.artifacts import Artifact, log_artifact, use_artifact
    from tracklet.sdk.config import Config
    from tracklet.sdk.summary import Summary
    from tracklet.sdk.termlog import termerror, termlog, termwarn

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
    raise AttributeError(f"module 'tracklet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
