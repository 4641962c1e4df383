"""What the framework integrations share: numbers only, warnings once, artifacts if any."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from typing import Any

from tracklet.sdk.termlog import WarnOnce

warn_once = WarnOnce()


def env(name: str, default: str = "") -> str:
    """``TRACKLET_<name>``, else ``WANDB_<name>``, else ``default``."""
    return os.environ.get(f"TRACKLET_{name}") or os.environ.get(f"WANDB_{name}") or default


def scalars(values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that ``log()`` takes: numbers, 0-d arrays and tensors."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, (bool, numbers.Real)) or (
                getattr(value, "ndim", None) == 0 and hasattr(value, "item")):
            out[key] = value
    return out


def artifact_class() -> Any:
    """``tracklet.Artifact``, or None (with one warning) in a Tracklet without artifacts."""
    import tracklet

    try:
        return tracklet.Artifact
    except AttributeError:
        warn_once("artifacts", "logging models needs tracklet.Artifact, which this version "
                  "of Tracklet does not have yet: the model is not logged (set "
                  "TRACKLET_LOG_MODEL=false to silence this)")
        return None


def log_dir_artifact(run: Any, name: str, path: str, metadata: Mapping[str, Any],
                     aliases: list[str]) -> bool:
    """Log the folder ``path`` as a model artifact of ``run``; False when not possible.
    Never raises: a failed upload must not stop training."""
    cls = artifact_class()
    if cls is None:
        return False
    try:
        artifact = cls(name=name, type="model", metadata=dict(metadata))
        artifact.add_dir(path)
        run.log_artifact(artifact, aliases=aliases)
        return True
    except Exception as exc:
        warn_once(f"artifact:{name}", f"could not log the model artifact {name}: {exc!r}")
        return False
