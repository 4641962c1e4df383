"""The project workspace in a real browser, against `tracklet ui` over runs logged by the
SDK: charts and their tooltip, live points, filter/sort/group with URLs that restore the
view, compare."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from web_support import (
    QUIET,
    Served,
    chart_labels,
    hover_x,
    log_run,
    shot,
    table_names,
    ui_server,
    wait_chart,
)

import tracklet

STEPS = 60


def loss(run: int, step: int) -> float:
    return 1.0 / (step + 1) + 0.1 * run + step * 1e-7


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    """Six finished runs: two optimizers x three learning rates."""
    data = tmp_path_factory.mktemp("web") / "data"
    entity = ""
    for i, (opt, lr) in enumerate([(o, lr) for o in ("adam", "sgd") for lr in (0.1, 0.01, 0.001)]):
        run = log_run(data, "vision", name=f"{opt}-lr{lr}", config={
            "opt": opt, "lr": lr, "epochs": 3, "model": {"width": 64 * (1 + i % 2)}},
            values={"train/loss": [loss(i, s) for s in range(STEPS)],
                    "eval/acc": [0.5 + 0.01 * i + s * 0.001 for s in range(STEPS)]})
        entity = run.entity
    server = ui_server(data)
    try:
        yield server, f"{server.url}/{entity}/vision"
    finally:
        server.stop()


def test_chart_tooltip_shows_the_logged_value_at_a_step(logged: tuple[Served, str],
                                                        page: Page) -> None:
    _, url = logged
    page.goto(url)
    wait_chart(page, "train/loss", lines=6)
    expect(page.locator('.panel[data-key="eval/acc"] canvas')).to_be_visible()
    shot(page, "workspace")
    hover_x(page, "train/loss", 42)
    tip = page.locator('.panel[data-key="train/loss"] .tooltip')
    expect(tip).to_be_visible()
    expect(tip.locator(".tooltip-x")).to_have_text("step 42")
    rows = dict(zip(tip.locator(".tooltip-name").all_inner_texts(),
                    tip.locator(".tooltip-value").all_inner_texts(), strict=True))
    names = [f"{o}-lr{lr}" for o in ("adam", "sgd") for lr in (0.1, 0.01, 0.001)]
    assert rows == {name: repr(loss(i, 42)) for i, name in enumerate(names)}


def test_filter_sort_and_group_change_table_and_charts_and_the_url_restores_them(
        logged: tuple[Served, str], page: Page) -> None:
    _, url = logged
    page.goto(url)
    wait_chart(page, "train/loss", lines=6)
    assert sorted(table_names(page)) == sorted(chart_labels(page, "train/loss"))

    page.get_by_text("Filters").click()
    page.get_by_role("button", name="+ Add filter").click()
    page.get_by_label("Filter field").fill("config.opt")
    page.get_by_label("Filter field").press("Tab")
    page.get_by_label("Filter value").fill("sgd")
    page.get_by_label("Filter value").press("Enter")
    expect(page.get_by_test_id("run-count")).to_contain_text("3 runs")
    wait_chart(page, "train/loss", lines=3)
    assert sorted(table_names(page)) == ["sgd-lr0.001", "sgd-lr0.01", "sgd-lr0.1"]
    assert sorted(chart_labels(page, "train/loss")) == sorted(table_names(page))

    page.locator('button[data-sort="name"]').click()
    expect(page.locator(".runs-table .tr[data-run] .col-name").first).to_have_text("sgd-lr0.001")
    page.locator('button[data-sort="name"]').click()
    expect(page.locator(".runs-table .tr[data-run] .col-name").first).to_have_text("sgd-lr0.1")
    assert table_names(page) == ["sgd-lr0.1", "sgd-lr0.01", "sgd-lr0.001"]

    page.get_by_label("Group by").select_option("config.model.width")
    expect(page.locator(".group-row")).to_have_count(2)
    page.wait_for_function(
        "() => window.tracklet.charts['train/loss'].series.some(s => /mean of/.test(s.label))")
    groups = sorted(chart_labels(page, "train/loss"))
    assert groups == ["128 (mean of 2)", "64 (mean of 1)"]  # widths 128, 64, 128
    shot(page, "workspace-filtered-grouped")

    view = page.url
    query = parse_qs(urlparse(view).query)
    assert json.loads(query["f"][0]) == [["config.opt", "$eq", "sgd"]]
    assert query["sort"] == ["-name"] and query["group"] == ["config.model.width"]

    again = page.context.new_page()
    again.goto(view)
    expect(again.locator(".group-row")).to_have_count(2)
    again.wait_for_function(
        "() => window.tracklet.charts['train/loss'] && "
        "window.tracklet.charts['train/loss'].series.some(s => /mean of/.test(s.label))")
    assert sorted(chart_labels(again, "train/loss")) == groups
    assert table_names(again) == table_names(page)
    expect(again.get_by_test_id("run-count")).to_contain_text("3 runs")


def drag_zoom(page: Page, lo: float, hi: float) -> None:
    """Drag across the train/loss chart from x=lo to x=hi, as a user zooms, and wait for
    the zoom to reach the URL."""
    box = page.evaluate("""([lo, hi]) => { const u = window.tracklet.charts['train/loss'];
        const r = u.over.getBoundingClientRect();
        return [r.left + u.valToPos(lo, 'x'), r.left + u.valToPos(hi, 'x'), r.top + 40]; }""",
                        [lo, hi])
    page.mouse.move(box[0], box[2])
    page.mouse.down()
    page.mouse.move(box[1], box[2], steps=5)
    page.mouse.up()
    page.wait_for_function("() => new URL(location.href).searchParams.has('zoom')")


def test_zoom_is_in_the_url_and_refetches_the_range(logged: tuple[Served, str],
                                                    page: Page) -> None:
    _, url = logged
    page.goto(url)
    wait_chart(page, "train/loss")
    drag_zoom(page, 10, 20)
    lo, hi = map(float, parse_qs(urlparse(page.url).query)["zoom"][0].split(","))
    assert 9 <= lo <= 11 and 19 <= hi <= 21
    page.wait_for_function(
        "([lo, hi]) => { const x = window.tracklet.charts['train/loss'].data[0];"
        " return x.length > 0 && x[0] >= Math.floor(lo) && x[x.length - 1] <= Math.ceil(hi); }",
        arg=[lo, hi])


def test_run_page_chart_zoom_is_in_the_url(logged: tuple[Served, str], page: Page) -> None:
    _, url = logged
    page.goto(url)
    page.get_by_role("link", name="adam-lr0.1", exact=True).click()
    page.get_by_role("tab", name="Charts").click()
    wait_chart(page, "train/loss", lines=1)
    drag_zoom(page, 10, 20)
    query = parse_qs(urlparse(page.url).query)
    lo, hi = map(float, query["zoom"][0].split(","))
    assert query["tab"] == ["charts"] and 9 <= lo <= 11 and 19 <= hi <= 21

    again = page.context.new_page()  # the URL restores the zoomed chart
    again.goto(page.url)
    wait_chart(again, "train/loss", lines=1)
    shown = again.evaluate("() => { const x = window.tracklet.charts['train/loss'].data[0];"
                           " return [x[0], x[x.length - 1]]; }")
    assert shown[0] >= int(lo) and shown[1] <= int(hi) + 1
    again.get_by_role("tab", name="System").click()  # another x-axis: the zoom is dropped
    again.wait_for_function("() => !new URL(location.href).searchParams.has('zoom')")


def test_compare_highlights_a_differing_config_key(logged: tuple[Served, str],
                                                   page: Page) -> None:
    _, url = logged
    page.goto(url)
    wait_chart(page, "train/loss")
    page.get_by_label("Select adam-lr0.1").check()
    page.get_by_label("Select sgd-lr0.1").check()
    page.get_by_role("link", name="Compare 2").click()
    differs = page.locator('table.compare tr[data-key="opt"]')
    expect(differs).to_have_class("differs")
    expect(differs).to_contain_text("differs")
    expect(differs.locator("td")).to_have_text(["adam", "sgd"])
    same = page.locator('table.compare tr[data-key="lr"]')
    expect(same).not_to_have_class("differs")
    shot(page, "compare")


def test_a_running_run_gets_new_points_without_a_reload(tmp_path: Path, page: Page) -> None:
    data = tmp_path / "data"
    run = tracklet.init(project="live", name="still-going", dir=data, settings=QUIET,
                        reinit=True)
    server: Served | None = None
    try:
        for step in range(10):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        deadline = time.monotonic() + 30
        while not (data / "tracklet.db").exists():  # the store is created by the follower
            assert time.monotonic() < deadline, "the local store never appeared"
            time.sleep(0.05)
        server = ui_server(data)
        page.goto(f"{server.url}/{run.entity}/live")
        page.wait_for_function(
            "() => { const u = window.tracklet.charts['train/loss'];"
            " return u && u.data[0].length === 10; }", timeout=20_000)
        expect(page.locator(".state-running")).to_be_visible()
        for step in range(10, 25):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        started = time.monotonic()
        page.wait_for_function(
            "() => { const x = window.tracklet.charts['train/loss'].data[0];"
            " return x[x.length - 1] === 24 && x.length === 25; }", timeout=10_000)
        appeared = time.monotonic() - started
        hover_x(page, "train/loss", 20)
        expect(page.locator(".tooltip-value")).to_have_text(repr(1.0 / 21))
        shot(page, "workspace-live")
        run.finish()
        expect(page.locator(".state-finished")).to_be_visible(timeout=10_000)
        assert appeared < 2.0, f"new points took {appeared:.1f} s to appear (target 2 s)"
    finally:
        run.finish()
        if server is not None:
            server.stop()


def test_bucketed_chart_draws_a_min_max_band_that_keeps_a_spike(tmp_path: Path,
                                                               page: Page) -> None:
    data = tmp_path / "data"
    values = [1.0 + 0.001 * (s % 10) for s in range(3000)]
    values[1234] = 9.5  # one spike among 3,000 points, drawn with 500 buckets
    run = log_run(data, "spiky", name="spiky", config={}, values={"loss": values})
    server = ui_server(data)
    try:
        page.goto(f"{server.url}/{run.entity}/spiky?res=500")
        wait_chart(page, "loss", lines=1)
        bands = page.evaluate("""() => {
            const u = window.tracklet.charts['loss'];
            const labels = u.series.map(s => s.label);
            const hi = u.data[labels.indexOf('spiky max')];
            const line = u.data[labels.indexOf('spiky')];
            return {labels, n: u.data[0].length, hi: Math.max(...hi.filter(v => v !== null)),
                    line: Math.max(...line.filter(v => v !== null))};
        }""")
        assert bands["labels"][1:] == ["spiky", "spiky min", "spiky max"]
        assert bands["n"] <= 500 and bands["hi"] == 9.5  # the band keeps the spike
        assert bands["line"] < 9.5  # ... which the bucket means alone would hide
        page.goto(f"{server.url}/{run.entity}/spiky?res=500&zoom=1200,1300")
        page.wait_for_function(
            "() => { const u = window.tracklet.charts['loss'];"
            " return u && u.series.length === 2 && u.data[0].length === 101; }")
        hover_x(page, "loss", 1234)
        expect(page.locator(".tooltip-value")).to_have_text("9.5")
    finally:
        server.stop()


def test_panel_downloads_as_csv_and_png(logged: tuple[Served, str], page: Page) -> None:
    _, url = logged
    page.goto(url + "?q=adam-lr0.1")
    wait_chart(page, "train/loss", lines=1)
    panel = page.locator('.panel[data-key="train/loss"]')
    with page.expect_download() as csv_download:
        panel.get_by_role("button", name="CSV").click()
    rows = Path(csv_download.value.path()).read_text().splitlines()
    assert rows[0] == "step,adam-lr0.1"
    parsed = [(int(x), float(y)) for x, y in (row.split(",") for row in rows[1:])]
    assert parsed == [(s, loss(0, s)) for s in range(STEPS)]  # exact: shortest round-trip
    with page.expect_download() as png_download:
        panel.get_by_role("button", name="PNG").click()
    assert png_download.value.suggested_filename == "train_loss.png"
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_key_only_an_old_run_logged_still_gets_a_panel(tmp_path: Path, page: Page) -> None:
    """Panels come from every run of the project, not only the first ones shown."""
    data = tmp_path / "data"
    first = log_run(data, "many", name="old-one", config={},
                    values={"train/loss": [1.0, 0.5], "rare/metric": [7.0, 8.0]})
    for i in range(6):  # newer runs, shown first, none of which logs rare/metric
        log_run(data, "many", name=f"new-{i}", config={}, values={"train/loss": [2.0, 1.0]})
    server = ui_server(data)
    try:
        page.goto(f"{server.url}/{first.entity}/many")
        wait_chart(page, "rare/metric", lines=1)
        assert chart_labels(page, "rare/metric") == ["old-one"]
    finally:
        server.stop()
