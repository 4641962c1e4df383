"""Fixtures of the MetadataStore contract suite.

Every test here runs once per backend in ``STORE_BACKENDS``: SQLite in a temporary file
and a fresh database on a real PostgreSQL server started by the test session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import create_database
from tracklet.store.sql.engine import sqlite_url
from tracklet.store.sql.store import SqlMetadataStore

STORE_BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    backend = request.param
    if backend == "sqlite":
        return sqlite_url(tmp_path / "tracklet.db")
    if backend == "postgresql":
        base = request.getfixturevalue("postgres_base_url")
        return create_database(base, f"t_{uuid.uuid4().hex[:16]}")
    raise AssertionError(f"no database URL for store backend {backend!r}")


@pytest.fixture
def store(store_url: str) -> Iterator[SqlMetadataStore]:
    s = SqlMetadataStore(store_url)
    yield s
    s.close()
