"""Fixtures of the artifact tests: a real S3 server (SeaweedFS) for the session."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from s3_server import S3Server, seaweedfs

import tracklet
from tracklet.sdk.artifacts.client import reset_contexts

_buckets = itertools.count()


@pytest.fixture
def clean_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No TRACKLET_* variable, the working directory a temporary one; afterwards no run
    left open and no artifact client cached."""
    for name in list(os.environ):
        if name.startswith("TRACKLET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
    while tracklet.run is not None:
        tracklet.finish()
    reset_contexts()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with seaweedfs() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; the AWS_* variables of the process point at the S3 server."""
    name = f"tracklet-test-{next(_buckets)}"
    s3_server.create_bucket(name)
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return name
