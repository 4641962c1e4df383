"""Fixtures of the media tests: a clean session whose data directory is ``tmp_path/data``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracklet


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No TRACKLET_*/WANDB_* from outside; runs go to ``tmp_path/data`` (local mode)."""
    for name in list(os.environ):
        if name.startswith(("TRACKLET_", "WANDB_")) and name != "TRACKLET_CONFIG_DIR":
            monkeypatch.delenv(name)
    root = tmp_path / "data"
    monkeypatch.setenv("TRACKLET_DIR", str(root))
    monkeypatch.setenv("TRACKLET_SYSTEM_METRICS", "false")
    monkeypatch.setenv("TRACKLET_CONSOLE_CAPTURE", "false")
    monkeypatch.chdir(tmp_path)
    while tracklet.run is not None:
        tracklet.finish()
    yield root
    while tracklet.run is not None:
        tracklet.finish()
