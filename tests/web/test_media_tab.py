"""The run page's Media tab against a real `tracklet ui`: images logged with the SDK load
at their logged size with their captions, a step slider (by keyboard) moves through the
steps, a table shows its cells (an image among them), a histogram draws its bins, in the
light and the dark theme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect
from web_support import QUIET, shot, ui_server

import tracklet

SIZES = [(37, 23), (41, 29), (53, 31)]  # (width, height) of the image at steps 0, 1, 2


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The Media tab's URL of a run with media and of one with scalars only."""
    data = tmp_path_factory.mktemp("media") / "data"
    rng = np.random.default_rng(5)
    with tracklet.init(project="media", entity="alice", dir=data, settings=QUIET,
                       reinit=True) as run:
        for step, (w, h) in enumerate(SIZES):
            run.log({"samples": tracklet.Image(rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
                                               caption=f"sample at step {step}"),
                     "loss": 1.0 / (step + 1)}, step=step)
        table = tracklet.Table(columns=["id", "label", "picture"])
        table.add_data(1, "hello-cell", tracklet.Image(np.zeros((8, 12), dtype=np.uint8)))
        table.add_data(2, "second", None)
        run.log({"predictions": table,
                 "weights": tracklet.Histogram(np.arange(100.0), num_bins=10)}, step=2)
    with tracklet.init(project="media", entity="alice", dir=data, settings=QUIET,
                       reinit=True) as plain:
        plain.log({"loss": 1.0})
    server = ui_server(data)
    try:
        yield (f"{server.url}/alice/media/runs/{run.id}?tab=media",
               f"{server.url}/alice/media/runs/{plain.id}?tab=media")
    finally:
        server.stop()


def loaded_width(img: Locator) -> int:
    img.scroll_into_view_if_needed()
    img.page.wait_for_function("(el) => el.complete && el.naturalWidth > 0",
                               arg=img.element_handle(), timeout=15_000)
    width: int = img.evaluate("(el) => el.naturalWidth")
    return width


def test_images_tables_and_histograms_show_on_the_media_tab(served: tuple[str, str],
                                                            page: Page) -> None:
    url, _ = served
    page.goto(url)
    expect(page.get_by_role("tab", name="Media")).to_have_attribute("aria-selected", "true")
    samples = page.locator('.media-panel[data-key="samples"]')
    # the latest step by default: its image at the size it was logged, with its caption
    expect(samples.locator("output")).to_have_text("2")
    expect(samples.locator("figcaption")).to_have_text("sample at step 2")
    assert loaded_width(samples.locator("img")) == SIZES[2][0]
    # the slider by keyboard: one step back
    slider = samples.get_by_role("slider", name="Step of samples")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    expect(samples.locator("output")).to_have_text("1")
    expect(samples.locator("figcaption")).to_have_text("sample at step 1")
    expect(samples.locator("img")).to_have_attribute("width", str(SIZES[1][0]))
    assert loaded_width(samples.locator("img")) == SIZES[1][0]

    table = page.get_by_role("region", name="Table predictions")
    expect(table.locator("th")).to_have_text(["id", "label", "picture"])
    expect(table.get_by_role("cell", name="hello-cell")).to_be_visible()
    assert loaded_width(table.locator("img")) == 12
    expect(page.locator('.media-panel[data-key="predictions"] p.small')).to_have_text(
        "2 rows, 3 columns")

    histogram = page.get_by_role("img", name="Histogram of weights: 10 bins from 0 to 99")
    expect(histogram.locator("rect")).to_have_count(10)
    shot(page, "media-tab-light")

    page.get_by_role("button", name="Switch between light and dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = samples.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background == "rgb(21, 23, 27)"  # the dark theme's --bg
    assert loaded_width(samples.locator("img")) == SIZES[1][0]
    shot(page, "media-tab-dark")


def test_a_run_without_media_says_how_to_log_some(served: tuple[str, str],
                                                  page: Page) -> None:
    page.goto(served[1])
    expect(page.get_by_text("This run logged no media.")).to_be_visible()
    expect(page.locator(".media-panel")).to_have_count(0)


def test_a_running_run_shows_new_images_as_they_are_logged(tmp_path: Path, page: Page) -> None:
    data = tmp_path / "data"
    run = tracklet.init(project="live", entity="alice", dir=data, settings=QUIET, reinit=True)
    server = None
    try:
        run.log({"frames": tracklet.Image(np.zeros((10, 15), dtype=np.uint8), caption="0")})
        run._sync()  # written and stored: the page can read it
        server = ui_server(data)
        page.goto(f"{server.url}/alice/live/runs/{run.id}?tab=media")
        frames = page.locator('.media-panel[data-key="frames"]')
        expect(frames.locator("figcaption")).to_have_text("0")
        run.log({"frames": tracklet.Image(np.ones((12, 17), dtype=np.uint8), caption="1")})
        run._sync()
        # the next poll brings step 1; the slider, left at the latest step, follows it
        expect(frames.locator("output")).to_have_text("1", timeout=15_000)
        expect(frames.locator("figcaption")).to_have_text("1")
        assert loaded_width(frames.locator("img")) == 17
    finally:
        run.finish()
        if server is not None:
            server.stop()
