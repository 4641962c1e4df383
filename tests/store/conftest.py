"""Fixtures of the MetadataStore contract suite.

Every test here runs once per backend in ``STORE_BACKENDS``. Only SQLite is wired up now;
to add PostgreSQL, append "postgresql" and make ``store_url`` return a URL of a fresh,
empty database for it (a real server, as DESIGN.md asks; never a skip).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklet.store.sql.engine import sqlite_url
from tracklet.store.sql.store import SqlMetadataStore

STORE_BACKENDS = ["sqlite"]


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    backend = request.param
    if backend == "sqlite":
        return sqlite_url(tmp_path / "tracklet.db")
    raise AssertionError(f"no database URL for store backend {backend!r}")


@pytest.fixture
def store(store_url: str) -> Iterator[SqlMetadataStore]:
    s = SqlMetadataStore(store_url)
    yield s
    s.close()
