"""Browser tests of the web dashboard: Playwright drives Debian's Chromium (headless)
against real server processes. Without Chromium or a built bundle they are skipped, and
under ``CI=true`` they fail (``make test`` builds the bundle; ``.ci/run`` installs
Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import CHROMIUM

from servers import unavailable
from tracklet.server.static import web_dist


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    if not (web_dist() / "index.html").is_file():
        unavailable(f"the web bundle is not built in {web_dist()}: run `make web`")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1500, "height": 950}}


# pytest-base-url (a dependency of pytest-playwright) defines its session fixture the way
# pytest 9 deprecates; only that warning is let through, only for these tests.
BASE_URL_WARNING = pytest.mark.filterwarnings(
    "ignore:Session-scoped fixtures defined as instance methods:"
    "pytest.PytestRemovedIn10Warning")


@pytest.hookimpl(trylast=True)  # after pytest groups tests by session-scoped parameters
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: Playwright's sync API keeps an event loop running in
    this thread until the session ends, and async tests cannot start their own after it
    (``pytest tests/web tests/server`` would otherwise fail the server tests)."""
    web = [item for item in items if "tests/web/" in item.nodeid]
    for item in web:
        item.add_marker(BASE_URL_WARNING)
    items[:] = [item for item in items if "tests/web/" not in item.nodeid] + web
