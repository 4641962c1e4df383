"""What the browser tests share: the real server processes they drive, data logged with
the real SDK, and helpers that read what the page shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

import tracklet
from servers import free_port, wait_for_health

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "web-screenshots"
QUIET = {"system_metrics": False, "console_capture": False}
ADMIN_KEY = "web-test-admin-key"


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("TRACKLET_") or k == "TRACKLET_CONFIG_DIR"}


class Served:
    """A server child process (``tracklet ui`` or ``tracklet server``) on 127.0.0.1."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        with open(log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracklet.cli.main", *args, "--port", str(self.port)],
                env=child_env(), stdout=out, stderr=subprocess.STDOUT)
        proc = self.proc
        try:
            wait_for_health(self.url, alive=lambda: proc.poll() is None, log=self.log)
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ui_server(data: Path) -> Served:
    """``tracklet --dir DATA ui``: read-only, no login."""
    return Served(["--dir", str(data), "ui"], data.parent / "ui.log")


def team_server(db: Path, *extra: str) -> Served:
    """``tracklet server`` over ``db`` with a static admin key."""
    return Served(["server", "--host", "127.0.0.1", "--db", f"sqlite:///{db}", "--api-key",
                   ADMIN_KEY, "--log-level", "warning", "--heartbeat-timeout", "0", *extra],
                  db.parent / "server.log")


def log_run(data: Path, project: str, *, name: str, config: dict[str, Any],
            values: dict[str, list[float]], entity: str | None = None,
            tags: list[str] | None = None) -> tracklet.Run:
    """One finished run logged by the SDK in local mode; ``values[key][step]``."""
    with tracklet.init(project=project, entity=entity, name=name, config=config, dir=data,
                       tags=tags, settings=QUIET, reinit=True) as run:
        steps = max(len(v) for v in values.values())
        for step in range(steps):
            run.log({k: v[step] for k, v in values.items() if step < len(v)}, step=step)
    return run


def shot(page: Page, name: str) -> None:
    """A screenshot for a human to look at (build/web-screenshots, gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def wait_chart(page: Page, key: str, lines: int | None = None, timeout: float = 15_000) -> None:
    """Until the chart of ``key`` is drawn (with ``lines`` runs, when given)."""
    page.wait_for_function(
        """([key, lines]) => {
            const u = window.tracklet && window.tracklet.charts[key];
            if (!u || u.data[0].length === 0) return false;
            const drawn = u.series.filter(s => !/ (min|max)$/.test(s.label)).length - 1;
            return lines === null || drawn === lines;
        }""", arg=[key, lines], timeout=timeout)


def chart_labels(page: Page, key: str) -> list[str]:
    labels: list[str] = page.evaluate(
        """(key) => window.tracklet.charts[key].series.slice(1).map(s => s.label)
                     .filter(l => !/ (min|max)$/.test(l))""", key)
    return labels


def table_names(page: Page) -> list[str]:
    names: list[str] = page.locator(".runs-table .tr[data-run] .col-name").all_inner_texts()
    return names


def hover_x(page: Page, key: str, x: float) -> None:
    """Move the mouse over the chart of ``key`` to the pixel of ``x`` (a real hover)."""
    point = page.evaluate(
        """([key, x]) => {
            const u = window.tracklet.charts[key];
            const r = u.over.getBoundingClientRect();
            return [r.left + u.valToPos(x, 'x'), r.top + r.height / 2];
        }""", [key, x])
    page.mouse.move(point[0] - 20, point[1])
    page.mouse.move(point[0], point[1])
