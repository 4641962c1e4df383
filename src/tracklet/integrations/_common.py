"""What the framework integrations share: numbers only, warnings once, model artifacts."""

from __future__ import annotations

import numbers
import os
import re
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


def artifact_name(name: str) -> str:
    """``name`` with characters an artifact name cannot hold replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:128] or "model"


def log_model_artifact(run: Any, name: str, path: str, metadata: Mapping[str, Any],
                       aliases: list[str], *, file_name: str | None = None) -> Any:
    """Log ``path`` (a folder, or one file stored as ``file_name``) as a ``model``
    artifact of ``run`` and wait until it is stored (the files may be temporary).
    Returns the artifact, or None (with one warning) when that failed: a failed upload
    must not stop training."""
    import tracklet

    try:
        artifact = tracklet.Artifact(name=artifact_name(name), type="model",
                                     metadata=dict(metadata))
        if file_name is None:
            artifact.add_dir(path)
        else:
            artifact.add_file(path, name=file_name)
        logged = run.log_artifact(artifact, aliases=aliases)
        (logged or artifact).wait()
        return logged or artifact
    except Exception as exc:
        warn_once(f"artifact:{name}", f"could not log the model artifact {name}: {exc!r}")
        return None
