"""Session-wide fixtures: real servers shared by the test layers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import postgres_cluster


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """A PostgreSQL cluster for this test session: ``postgresql+psycopg://...:PORT``."""
    with postgres_cluster() as url:
        yield url
