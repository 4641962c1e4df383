"""The dashboard on `tracklet server` with accounts: login, who sees which project (a
public one without login, not another team's private one), share links, and the run page
(overview, notes saved through the API, config search, console)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from web_support import ADMIN_KEY, Served, child_env, log_run, shot, team_server, wait_chart

PASSWORD = "correct horse battery"


@dataclass
class World:
    server: Served
    alice_run: str  # run id in alice/mine
    share_token: str


def _console_run(data: Path) -> str:
    """A run of a real child process whose prints are captured as console lines."""
    script = textwrap.dedent(f"""
        import tracklet
        run = tracklet.init(project="mine", entity="alice", name="with-console",
                            dir={str(data)!r}, config={{"model": {{"width": 256, "depth": 4}},
                            "lr": 0.003}}, settings={{"system_metrics": False}})
        for step in range(20):
            run.log({{"train/loss": 1.0 / (step + 1)}})
            print(f"epoch {{step}} finished")
        print(run.id, flush=True)
        run.finish()
    """)
    out = subprocess.run([sys.executable, "-c", script], env=child_env(), capture_output=True,
                         text=True, check=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("accounts") / "data"
    values = {"train/loss": [1.0 / (s + 1) for s in range(30)]}
    log_run(data, "mine", entity="alice", name="alice-first", config={"lr": 0.1}, values=values)
    alice_run = _console_run(data)
    log_run(data, "open-proj", entity="bob", name="bob-public", config={"lr": 0.2},
            values=values)
    log_run(data, "private-proj", entity="vision-team", name="team-secret",
            config={"lr": 0.3}, values=values)
    server = team_server(data / "tracklet.db")
    try:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for user in ("alice", "bob"):
            made = httpx.post(f"{server.url}/api/v1/users", headers=admin,
                              json={"username": user, "password": PASSWORD})
            assert made.status_code == 201, made.text
        with httpx.Client(base_url=f"{server.url}/api/v1") as bob:
            csrf = bob.post("/auth/login", json={"username": "bob", "password": PASSWORD}
                            ).json()["csrf_token"]
            headers = {"X-CSRF-Token": csrf}
            assert bob.post("/teams", json={"name": "vision-team"},
                            headers=headers).status_code == 201
            public = bob.patch("/projects/bob/open-proj", json={"visibility": "public"},
                               headers=headers)
            assert public.status_code == 200, public.text
            share = bob.post("/share", json={"entity": "vision-team",
                                             "project": "private-proj"}, headers=headers)
            assert share.status_code == 201, share.text
        yield World(server, alice_run, share.json()["token"])
    finally:
        server.stop()


def login(page: Page, world: World, user: str = "alice", password: str = PASSWORD) -> None:
    page.goto(f"{world.server.url}/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_shows_my_projects_with_run_counts_and_not_another_teams(
        world: World, page: Page) -> None:
    page.goto(world.server.url)
    projects = page.locator("table.projects")
    expect(projects).to_contain_text("open-proj")  # public: listed without a login
    expect(projects).not_to_contain_text("mine")
    login(page, world, password="wrong")
    expect(page.get_by_role("alert")).to_contain_text("password")
    login(page, world)
    expect(page.get_by_test_id("whoami")).to_have_text("alice")
    row = page.locator("table.projects tr", has_text="mine")
    expect(row.locator("td.num")).to_have_text("2")
    expect(row).to_contain_text("ago")
    expect(projects).not_to_contain_text("private-proj")
    shot(page, "projects")
    page.goto(f"{world.server.url}/vision-team/private-proj")
    expect(page.get_by_role("alert")).to_contain_text("no project vision-team/private-proj")


def test_public_project_opens_read_only_without_login(world: World, page: Page) -> None:
    page.goto(f"{world.server.url}/bob/open-proj")
    wait_chart(page, "train/loss", lines=1)
    page.get_by_role("link", name="bob-public").click()
    expect(page.get_by_role("heading", name="bob-public")).to_be_visible()
    page.get_by_label("Notes").fill("anonymous edit")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status")).to_contain_text("Read-only")


def test_share_link_opens_its_project_read_only(world: World, page: Page) -> None:
    page.goto(f"{world.server.url}/vision-team/private-proj")
    expect(page).to_have_url(f"{world.server.url}/login?next=%2Fvision-team%2Fprivate-proj")
    page.goto(f"{world.server.url}/vision-team/private-proj?share={world.share_token}")
    wait_chart(page, "train/loss", lines=1)
    expect(page.locator(".runs-table")).to_contain_text("team-secret")
    page.get_by_role("link", name="team-secret").click()  # the token stays for the tab
    expect(page.get_by_role("heading", name="team-secret")).to_be_visible()
    page.get_by_role("tab", name="Config").click()
    expect(page.locator(".tree")).to_contain_text("0.3")


def test_run_page_overview_notes_config_console(world: World, page: Page) -> None:
    login(page, world)
    expect(page.get_by_test_id("whoami")).to_have_text("alice")
    page.goto(f"{world.server.url}/alice/mine/runs/{world.alice_run}")
    expect(page.get_by_role("heading", name="with-console")).to_be_visible()
    overview = page.locator(".overview")
    expect(overview).to_contain_text("finished")
    expect(overview).to_contain_text("Host")
    expect(overview.locator("tr", has_text="Command")).to_contain_text("-c")  # python -c
    page.get_by_label("Notes").fill("lr too high, try 1e-3")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    stored = httpx.get(f"{world.server.url}/api/v1/runs/alice/mine/{world.alice_run}",
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()
    assert stored["notes"] == "lr too high, try 1e-3"
    commit = stored["metadata"].get("git", {}).get("commit")
    if commit:  # the child ran inside this repository's checkout
        expect(overview.locator("tr", has_text="Git commit")).to_contain_text(commit)

    page.get_by_role("tab", name="Config").click()
    page.get_by_label("Search the config").fill("width")
    expect(page.locator(".tree table")).to_contain_text("model.width")
    expect(page.locator(".tree table")).to_contain_text("256")
    expect(page.locator(".tree table")).not_to_contain_text("lr")

    page.get_by_role("tab", name="Charts").click()
    wait_chart(page, "train/loss", lines=1)

    page.get_by_role("tab", name="Console").click()
    lines = page.locator(".console-line")
    expect(lines.first).to_contain_text("epoch 0 finished")
    page.get_by_label("Search the console").fill("epoch 17")
    page.get_by_role("button", name="Search").click()
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text("epoch 17 finished")
    shot(page, "run-console")


def test_saved_view_keeps_the_panel_layout(world: World, page: Page) -> None:
    login(page, world)
    expect(page.get_by_test_id("whoami")).to_have_text("alice")
    page.goto(f"{world.server.url}/alice/mine")
    wait_chart(page, "train/loss", lines=2)
    panel = page.locator('.panel[data-key="train/loss"]')
    page.get_by_role("button", name="Remove panel train/loss").click()
    expect(panel).to_have_count(0)
    page.get_by_label("Add panel").select_option("train/loss")
    expect(panel).to_have_count(1)
    panel.get_by_role("button", name="Panel width 3").click()
    expect(panel).to_have_class("panel size-3")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status")).to_contain_text("Saved view “default”")
    stored = httpx.get(f"{world.server.url}/api/v1/views/alice/mine",
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()["items"]
    assert [(v["name"], v["spec"]["panels"]) for v in stored] == [
        ("default", [{"key": "train/loss", "size": 3}])]

    fresh = page.context.new_page()
    fresh.goto(f"{world.server.url}/alice/mine")  # no layout in the URL: the saved view
    expect(fresh.locator('.panel[data-key="train/loss"]')).to_have_class("panel size-3")
    wait_chart(fresh, "train/loss", lines=2)

    theme = fresh.get_by_role("button", name="Switch between light and dark theme")
    expect(fresh.locator("html")).to_have_attribute("data-theme", "light")
    fresh.evaluate("window.lightChart = window.tracklet.charts['train/loss']")
    theme.click()
    expect(fresh.locator("html")).to_have_attribute("data-theme", "dark")
    fresh.wait_for_function(  # redrawn with the dark theme's axis and grid colours
        "() => { const u = window.tracklet.charts['train/loss'];"
        " return u && u !== window.lightChart && u.data[0].length > 0; }")
    shot(fresh, "workspace-dark")
    theme.focus()  # by keyboard too
    fresh.keyboard.press("Enter")
    expect(fresh.locator("html")).to_have_attribute("data-theme", "light")
