"""Session-wide fixtures: real servers shared by the test layers.

The tests never read the developer's own credentials (`tracklet login`): the config
directory points at an empty temporary folder for this process and every child it starts
(helpers that build a child's environment keep TRACKLET_CONFIG_DIR).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from servers import postgres_cluster

os.environ["TRACKLET_CONFIG_DIR"] = tempfile.mkdtemp(prefix="tracklet-test-config-")


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """A PostgreSQL cluster for this test session: ``postgresql+psycopg://...:PORT``."""
    with postgres_cluster() as url:
        yield url
