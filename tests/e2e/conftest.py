"""Fixtures of the end-to-end tests; the helpers they share live in e2e_support."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_support import Child


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Child]]:
    """Start ``train.py`` children with ``spawn(*args, env=..., stdin=False)``; any still
    running at the end of the test are killed (only those, by their pid)."""
    children: list[Child] = []

    def start(*args: str, env: dict[str, str], stdin: bool = False) -> Child:
        child = Child(args, env=env, cwd=tmp_path, stdin=stdin)
        children.append(child)
        return child

    yield start
    for child in children:
        child.close()
