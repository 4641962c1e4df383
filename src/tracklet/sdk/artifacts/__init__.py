"""Artifacts: versioned, deduplicated files (datasets, models) with lineage.

``Artifact`` collects files; ``log_artifact`` / ``use_artifact`` (module level, on a
``Run``, and through ``Api``) store and fetch versions, in the local directory or on a
server. See ``docs/guides/artifacts.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracklet.sdk.artifacts.artifact import Artifact, ArtifactEntry
from tracklet.sdk.artifacts.transfer import ArtifactCorruptedError

if TYPE_CHECKING:
    from tracklet.sdk.run import Run

__all__ = ["Artifact", "ArtifactCorruptedError", "ArtifactEntry", "log_artifact",
           "use_artifact"]


def _current() -> Run:
    from tracklet.errors import NotInitializedError
    from tracklet.sdk.session import current_run

    run = current_run()
    if run is None:
        raise NotInitializedError("no run: call tracklet.init() before logging or using "
                                  "artifacts")
    return run


def log_artifact(artifact: Artifact | str, name: str | None = None, type: str | None = None,
                 aliases: Sequence[str] | None = None) -> Artifact:
    """Log an artifact (or a file or folder path) to the current run."""
    from tracklet.sdk.artifacts.client import log_artifact as log

    return log(_current(), artifact, name=name, type=type, aliases=aliases)


def use_artifact(artifact: Artifact | str, type: str | None = None) -> Artifact:
    """Use a version (``name:alias``, ``name:vN``, ``entity/project/name:alias``) in the
    current run: it is recorded as an input of the run."""
    from tracklet.sdk.artifacts.client import use_artifact as use

    return use(_current(), artifact, type=type)
