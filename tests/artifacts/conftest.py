"""Fixtures of the artifact tests: a real S3 server (SeaweedFS) for the session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from s3_server import S3Server, seaweedfs

_buckets = itertools.count()


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
