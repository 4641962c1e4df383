"""The runs table over thousands of runs, in a real browser against ``tracklet server``:
only the rows in view are in the DOM, yet every run can be scrolled to, its row shows the
right run, the header stays on top and scrolls sideways with the cells, and a row holding
the keyboard focus keeps it while scrolled out of view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from web_support import Served, shot, team_server

from tracklet.core import records as r
from tracklet.core.segment import SegmentHeader

RUNS = 2000
T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """RUNS finished runs in lab/many (run-0 oldest), filled through the store's ingest."""
    from tracklet.store.sql.store import SqlMetadataStore

    db = tmp_path_factory.mktemp("table") / "table.db"
    store = SqlMetadataStore(f"sqlite:///{db}")
    for i in range(RUNS):
        run_id = f"r{i:05d}"
        store.append_records(
            SegmentHeader(segment=f"s-{run_id}", run_id=run_id, project="many", entity="lab"),
            [r.RunStart(1, T0 + i, run_id, "many", "lab", f"run-{i}", tags=["t"]),
             r.ConfigUpdate(2, T0 + i, {"lr": 10 ** -(1 + i % 3), "opt": "adam"}, []),
             r.History(3, T0 + i, 0, {"loss": i / RUNS}),
             r.RunFinish(4, T0 + i + 1, "finished", 0)])
    store.close()
    server: Served = team_server(db, "--public-reads")
    try:
        yield f"{server.url}/lab/many"
    finally:
        server.stop()


def open_table(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_test_id("run-count")).to_have_text(f"{RUNS} runs · 10 shown")


def scroll_to(page: Page, top: float | str, left: float = 0) -> None:
    page.evaluate("([top, left]) => { const el = document.querySelector('.runs-table .tbody');"
                  " el.scrollTo(left, top === 'end' ? el.scrollHeight : top); }", [top, left])


def rows_in_dom(page: Page) -> int:
    return page.locator(".runs-table .tr[data-run]").count()


def test_thousands_of_runs_scroll_with_a_few_rows_in_the_dom(many: str, page: Page) -> None:
    open_table(page, many)
    table = page.get_by_role("table", name="Runs")
    expect(table).to_have_attribute("aria-rowcount", str(RUNS + 1))  # the header row too
    first = page.locator(".runs-table .tr[data-run]").first
    expect(first.locator(".col-name")).to_have_text(f"run-{RUNS - 1}")  # newest first
    assert 20 < rows_in_dom(page) < 80

    # the middle: row index i shows run-(RUNS-1-i), at its place in the scroller
    scroll_to(page, 1000 * 30)
    middle = page.locator('.runs-table [aria-rowindex="1002"]')
    expect(middle.locator(".col-name")).to_have_text(f"run-{RUNS - 1 - 1000}")
    expect(middle).to_be_in_viewport()
    assert rows_in_dom(page) < 80

    scroll_to(page, "end")
    expect(page.get_by_role("link", name="run-0", exact=True)).to_be_in_viewport()
    expect(page.get_by_role("link", name=f"run-{RUNS - 1}", exact=True)).to_have_count(0)
    assert rows_in_dom(page) < 80
    # the header row stays at the top of the scrolled table
    header = page.locator(".runs-table .th").bounding_box()
    body = page.locator(".runs-table .tbody").bounding_box()
    assert header is not None and body is not None
    assert abs(header["y"] - body["y"]) < 1
    shot(page, "runs-table-scrolled")


def test_header_scrolls_sideways_with_the_cells(many: str, page: Page) -> None:
    open_table(page, f"{many}?cols=config.lr,config.opt,summary.loss")
    row = page.locator(".runs-table .tr[data-run]").first
    expect(row.locator(".col-summary_loss")).to_have_text("0.9995")
    scroll_to(page, 600, 400)
    head = page.get_by_role("columnheader", name="loss").bounding_box()
    cell = page.locator('.runs-table [aria-rowindex="22"] .col-summary_loss').bounding_box()
    assert head is not None and cell is not None
    assert abs(head["x"] - cell["x"]) < 1 and abs(head["width"] - cell["width"]) < 1
    assert head["y"] < cell["y"]


def test_a_focused_row_keeps_the_focus_while_scrolled_away(many: str, page: Page) -> None:
    open_table(page, many)
    newest = f"run-{RUNS - 1}"
    page.get_by_role("checkbox", name=f"Select {newest}").check()
    expect(page.get_by_role("link", name="Compare 1")).to_be_visible()
    pin = page.get_by_role("button", name=f"Pin {newest}")
    pin.focus()
    scroll_to(page, "end")
    expect(page.get_by_role("link", name="run-0", exact=True)).to_be_in_viewport()
    # the focused row stayed in the DOM (out of view): the keyboard still acts on it
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Pin {newest}"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{many}?sel=r{RUNS - 1:05d}&pin=r{RUNS - 1:05d}")
    scroll_to(page, 0)
    expect(page.get_by_role("button", name=f"Pin {newest}")).to_have_attribute(
        "aria-pressed", "true")
    expect(page.get_by_role("checkbox", name=f"Select {newest}")).to_be_checked()
