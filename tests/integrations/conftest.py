"""Fixtures for the framework integrations: a clean session in a temporary data directory,
offline, with no TRACKLET_*/WANDB_* settings from outside (helpers: integration_helpers)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracklet


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
