"""Helpers for the integration tests (a module of its own: ``conftest`` names collide
across test folders when the whole suite runs).

A missing framework skips its tests on a developer machine but fails them under
``CI=true``: CI installs them all (the ``integrations`` extra).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tracklet
from tracklet.sdk.api import ApiRun


def need(module: str) -> ModuleType:
    """Import ``module``: skip without it, except under CI=true where it must be there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{module} is not installed (pip install -e '.[integrations]')")


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
