"""`tracklet demo` ends by serving the dashboard in the foreground (what `make demo` runs);
the page it prints loads the app, and Ctrl-C stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from web_support import child_env, team_server, wait_chart


def test_demo_serves_the_dashboard_until_ctrl_c(tmp_path: Path, page: Page) -> None:
    env = {k: v for k, v in child_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "--dir", str(tmp_path / "data"), "demo",
         "--runs", "2", "--steps", "100"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 120
        url = None
        while url is None:
            assert proc.poll() is None, f"demo exited early: {''.join(lines)}"
            assert time.monotonic() < deadline, f"no dashboard URL printed: {''.join(lines)}"
            for line in list(lines):
                if line.startswith("Tracklet dashboard on "):
                    url = line.split()[3]
            time.sleep(0.05)  # polling the reader's output, not a synchronisation
        page_html = httpx.get(url).text
        assert '<div id="app">' in page_html
        page.goto(url)
        page.get_by_role("link", name="demo").click()
        wait_chart(page, "train/loss", lines=2)
        expect(page.locator(".panel-section h3").first).to_have_text("train")
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
        assert code in (0, 130), "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        assert proc.stderr is not None
        proc.stderr.close()
    out = "".join(lines)
    assert "No browser on this machine" in out


def test_an_empty_server_shows_how_to_log_a_first_run(tmp_path: Path, page: Page) -> None:
    server = team_server(tmp_path / "empty.db", "--public-reads")
    try:
        page.goto(server.url)
        expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
        code = page.get_by_label("Log a first run")
        expect(code).to_contain_text("import tracklet")
        expect(code).to_contain_text('tracklet.init(project="my-first-project"')
        expect(code).to_contain_text('run.log({"train/loss": 0.5})')
        page.goto(f"{server.url}/api/v1/no-such-endpoint")
        assert "no such endpoint" in page.content()  # the API keeps its own 404
    finally:
        server.stop()
