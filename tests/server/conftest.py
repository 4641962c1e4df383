"""Fixtures of the server tests: an app in this process over SQLite or PostgreSQL.

Tests that use ``client`` run once per backend; ``sqlite_client`` is for checks that do
not depend on the database (auth, limits, errors).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from server_helpers import open_client, settings_for

from servers import create_database
from tracklet.store.sql.engine import sqlite_url

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "tracklet.db")
    base = request.getfixturevalue("postgres_base_url")
    return create_database(base, f"s_{uuid.uuid4().hex[:16]}")


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(settings_for(db_url)) as c:
        yield c


@pytest.fixture
async def sqlite_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(settings_for(sqlite_url(tmp_path / "tracklet.db"))) as c:
        yield c
