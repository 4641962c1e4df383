"""Fixtures for the framework integrations: a clean session in a temporary data directory,
tiny models built from configs (nothing from a model hub), and the libraries themselves.

A missing framework skips its tests on a developer machine but fails them under
``CI=true``: CI installs them all (the ``integrations`` extra).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tracklet
from tracklet.sdk.api import ApiRun

QUIET = {"system_metrics": False, "console_capture": False}


def need(module: str) -> ModuleType:
    """Import ``module``: skip without it, except under CI=true where it must be there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{module} is not installed (pip install -e '.[integrations]')")


@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No TRACKLET_*/WANDB_* from outside; data under tmp_path/data; no hub access."""
    for name in list(os.environ):
        if name.startswith(("TRACKLET_", "WANDB_")) and name != "TRACKLET_CONFIG_DIR":
            monkeypatch.delenv(name)  # the config dir stays the empty one tests/conftest made
    data = tmp_path / "data"
    monkeypatch.setenv("TRACKLET_DIR", str(data))
    monkeypatch.setenv("TRACKLET_SYSTEM_METRICS", "false")
    monkeypatch.setenv("TRACKLET_CONSOLE_CAPTURE", "false")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.chdir(tmp_path)
    while tracklet.run is not None:
        tracklet.finish()
    yield data
    while tracklet.run is not None:
        tracklet.finish()


def runs_of(data: Path, project: str) -> list[ApiRun]:
    with tracklet.Api(data) as api:
        return list(api.runs(project))


def one_run(data: Path, project: str) -> ApiRun:
    found = runs_of(data, project)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def history(run: ApiRun, data: Path) -> list[dict[str, Any]]:
    """History rows without the time columns, read through a fresh Api."""
    with tracklet.Api(data) as api:
        stored = api.run("/".join(run.path))
        return [{k: v for k, v in row.items() if k not in ("_timestamp", "_runtime")}
                for row in stored.scan_history()]
