"""The artifact pages of the dashboard against a real `tracklet server`: a dataset with two
versions and an alias and a model used by another run, logged through the real SDK in
online mode; the collections by type, the versions with their aliases, a version's file
tree (sizes, folders that close by keyboard, downloads byte for byte), the lineage graph
linking producer and consumer runs, and the run page's artifacts and saved files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web_support import ADMIN_KEY, Served, child_env, shot, team_server

# name -> bytes of the dataset's files; v1 changes labels.bin and adds test/images.bin
IMAGES = bytes(range(256)) * 6 + b"tail"  # 1,540 bytes
LABELS_V0 = b"0123456789" * 30  # 300 bytes
LABELS_V1 = b"9876543210" * 40  # 400 bytes
TEST_IMAGES = b"t" * 2_500_000  # 2.5 MB
README = b"mnist, but tiny\n"  # 16 bytes
MODEL = b"\x00weights\xff" * 1000  # 9,000 bytes
METRICS = b'{"accuracy": 0.93}\n'  # 19 bytes


@dataclass
class World:
    server: Served
    prepare: str  # run ids
    train: str
    evaluate: str

    def url(self, path: str) -> str:
        return f"{self.server.url}/alice/vision/{path}"


LOG = """
import json, pathlib, sys
import tracklet

root = pathlib.Path(sys.argv[1])
settings = {"system_metrics": False, "console_capture": False, "base_url": sys.argv[2],
            "api_key": sys.argv[3]}

def write(rel, key):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((root / "contents" / key).read_bytes())

def init(name):
    return tracklet.init(project="vision", entity="alice", name=name, mode="online",
                         dir=root / "client", settings=settings, reinit=True)

write("data/train/images.bin", "images")
write("data/train/labels.bin", "labels_v0")
write("data/README.txt", "readme")
prepare = init("prepare-data")
v0 = tracklet.Artifact("mnist-mini", type="dataset", description="first cut",
                       metadata={"rows": 300})
v0.add_dir(root / "data")
prepare.log_artifact(v0).wait()
write("data/train/labels.bin", "labels_v1")
write("data/test/images.bin", "test_images")
v1 = tracklet.Artifact("mnist-mini", type="dataset", description="labels fixed",
                       metadata={"rows": 400, "source": "hand-labelled"})
v1.add_dir(root / "data")
prepare.log_artifact(v1, aliases=["clean"]).wait()
prepare.finish()
prepare_id = prepare.id

train = init("train-model")
dataset = train.use_artifact("mnist-mini:clean", type="dataset")
write("out/model.bin", "model")
model = tracklet.Artifact("classifier", type="model")
model.add_file(root / "out/model.bin")
train.log_artifact(model, aliases=["best"]).wait()
write("out/metrics.json", "metrics")
train.save(str(root / "out/metrics.json"), policy="now")
train.finish()

evaluate = init("evaluate-model")
evaluate.use_artifact("classifier:best", type="model")
evaluate.finish()
many = tracklet.Artifact("many-shards", type="dataset")
for i in range(600):
    with many.new_file(f"shards/{i:04d}.txt") as f:
        f.write(str(i))
prepare = init("shard-data")
prepare.log_artifact(many).wait()
prepare.finish()
plain = tracklet.init(project="no-artifacts", entity="alice", mode="online",
                      dir=root / "client", settings=settings, reinit=True)
plain.log({"loss": 1.0})
plain.finish()
print(json.dumps([prepare_id, train.id, evaluate.id]), flush=True)
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("artifact-pages")
    server = team_server(root / "tracklet.db", "--public-reads")
    try:
        blobs = {"images": IMAGES, "labels_v0": LABELS_V0, "labels_v1": LABELS_V1,
                 "test_images": TEST_IMAGES, "readme": README, "model": MODEL,
                 "metrics": METRICS}
        (root / "contents").mkdir()
        for name, content in blobs.items():
            (root / "contents" / name).write_bytes(content)
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(LOG), str(root), server.url, ADMIN_KEY],
            env=child_env(), capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-4000:]
        prepare, train, evaluate = json.loads(out.stdout.strip().splitlines()[-1])
        yield World(server, prepare, train, evaluate)
    finally:
        server.stop()


def test_collections_are_listed_by_type_with_run_files_hidden(world: World,
                                                              page: Page) -> None:
    page.goto(world.url("artifacts"))
    datasets = page.get_by_role("region", name="Type dataset")
    row = datasets.locator("tr[data-collection='mnist-mini']")
    expect(row.get_by_role("link", name="mnist-mini")).to_be_visible()
    expect(row.locator("td").nth(1)).to_have_text("2")  # versions
    expect(row.locator("td").nth(2)).to_contain_text("v1")  # latest, with its alias
    expect(row.locator("td").nth(2)).to_contain_text("clean")
    # v1 holds images (1,540) + labels (400) + test images (2.5 MB) + README (16)
    expect(row.locator("td").nth(3)).to_have_text("2.5 MB")
    expect(row.locator("td").nth(4)).to_contain_text("ago")
    models = page.get_by_role("region", name="Type model")
    expect(models.locator("tr[data-collection='classifier']")).to_contain_text("v0")
    expect(models).not_to_contain_text("mnist-mini")
    # the train run's saved files are a run-files collection: hidden until asked for
    run_files = f"run-{world.train}-files"
    expect(page.get_by_role("region", name="Type run-files")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("1 hidden")
    page.get_by_label("Show the runs' saved files (run-files)").check()
    expect(page.get_by_role("region", name="Type run-files")).to_contain_text(run_files)
    expect(page).to_have_url(world.url("artifacts?run_files=1"))
    page.reload()  # the URL restores the view
    expect(page.get_by_role("region", name="Type run-files")).to_contain_text(run_files)
    shot(page, "artifact-collections")

    page.get_by_role("link", name="mnist-mini", exact=True).click()
    expect(page).to_have_url(world.url("artifacts/mnist-mini"))
    expect(page.get_by_role("heading", name="mnist-mini")).to_be_visible()


def test_versions_list_aliases_metadata_and_the_logging_run(world: World, page: Page) -> None:
    page.goto(world.url("artifacts/mnist-mini"))
    rows = page.locator("table.versions tbody tr")
    expect(rows).to_have_count(2)
    newest, oldest = rows.nth(0), rows.nth(1)
    expect(newest.locator("td").first).to_have_text("v1")
    expect(newest.locator(".tag")).to_have_text(["clean", "latest"])
    expect(oldest.locator("td").first).to_have_text("v0")
    expect(oldest.locator(".tag")).to_have_count(0)
    expect(newest).to_contain_text("labels fixed")
    expect(newest.locator("dl.metadata")).to_contain_text("source")
    expect(newest.locator("dl.metadata")).to_contain_text("hand-labelled")
    expect(oldest.locator("dl.metadata")).to_contain_text("300")
    expect(newest.locator("td").nth(3)).to_have_text("4")  # files
    expect(oldest.locator("td").nth(2)).to_have_text("1.9 kB")  # 1,540 + 300 + 16 bytes
    shot(page, "artifact-versions")
    newest.get_by_role("link", name=world.prepare).click()
    expect(page).to_have_url(world.url(f"runs/{world.prepare}"))
    expect(page.get_by_role("heading", name="prepare-data")).to_be_visible()


def test_version_file_tree_sizes_folders_and_downloads(world: World, page: Page) -> None:
    page.goto(world.url("artifacts/mnist-mini/clean"))  # an alias opens its version
    expect(page.get_by_role("heading", name="mnist-mini:v1")).to_be_visible()
    tree = page.locator("table.file-tree")
    sizes = {"README.txt": "16 B", "train/images.bin": "1.5 kB",
             "train/labels.bin": "400 B", "test/images.bin": "2.5 MB"}
    for path, size in sizes.items():
        expect(tree.locator(f"tr[data-path='{path}'] td.num")).to_have_text(size)
    expect(tree.locator("tr[data-path='train/'] td.num")).to_have_text("1.9 kB")
    expect(page.locator(".kv")).to_contain_text("hand-labelled")
    expect(page.locator(".kv")).to_contain_text("2.5 MB in 4 files")

    # a folder closes and opens again from the keyboard
    toggle = tree.get_by_role("button", name="train/")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tree.locator("tr[data-path='train/images.bin']")).to_have_count(0)
    page.keyboard.press("Space")
    expect(tree.locator("tr[data-path='train/images.bin']")).to_be_visible()

    for path, content in (("train/images.bin", IMAGES), ("train/labels.bin", LABELS_V1)):
        with page.expect_download() as info:
            tree.get_by_role("link", name=f"Download {path}").click()
        download = info.value
        assert download.suggested_filename == path.split("/")[-1]
        assert Path(download.path()).read_bytes() == content
    shot(page, "artifact-version")


def test_a_large_tree_opens_folder_by_folder_and_page_by_page(world: World,
                                                             page: Page) -> None:
    page.goto(world.url("artifacts/many-shards/latest"))
    tree = page.locator("table.file-tree")
    folder = tree.get_by_role("button", name="shards/")
    expect(folder).to_have_attribute("aria-expanded", "false")  # 600 files: closed at first
    expect(tree.locator("tr[data-path='shards/']")).to_contain_text("600 files")
    expect(tree.locator("tr[data-path='shards/'] td.num")).to_have_text("1.7 kB")
    folder.click()
    expect(tree.locator("tr.file")).to_have_count(500)
    tree.get_by_role("button", name="Show all 600 files in shards/").click()
    expect(tree.locator("tr.file")).to_have_count(600)
    expect(tree.locator("tr[data-path='shards/0599.txt'] td.num")).to_have_text("3 B")


def test_lineage_graph_links_producer_and_consumer_runs(world: World, page: Page) -> None:
    page.goto(world.url("artifacts/classifier/v0"))
    graph = page.get_by_role("group", name="Lineage graph")
    producer = graph.get_by_role("link", name="Run train-model")
    consumer = graph.get_by_role("link", name="Run evaluate-model")
    expect(producer).to_have_attribute("href", f"/alice/vision/runs/{world.train}")
    expect(consumer).to_have_attribute("href", f"/alice/vision/runs/{world.evaluate}")
    # the dataset the producer used is one hop further back
    expect(graph.get_by_role("link", name="Artifact mnist-mini:v1")).to_have_attribute(
        "href", "/alice/vision/artifacts/mnist-mini/v1")
    edges = page.locator("svg.lineage path.edge")
    version = "artifact:alice/vision/classifier:v0"
    expect(edges.and_(page.locator(
        f"[data-edge='run:alice/vision/{world.train} logged {version}']"))).to_have_count(1)
    expect(edges.and_(page.locator(
        f"[data-edge='{version} used run:alice/vision/{world.evaluate}']"))).to_have_count(1)
    # producer left of the version, consumer right of it
    x = {name: graph.get_by_role("link", name=name).bounding_box()["x"]  # type: ignore[index]
         for name in ("Run train-model", "Artifact classifier:v0", "Run evaluate-model")}
    assert x["Run train-model"] < x["Artifact classifier:v0"] < x["Run evaluate-model"]
    shot(page, "artifact-lineage")
    consumer.focus()  # every node is a link, reached and followed from the keyboard
    expect(consumer).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(world.url(f"runs/{world.evaluate}"))
    expect(page.get_by_role("heading", name="evaluate-model")).to_be_visible()


def test_run_page_lists_artifacts_and_saved_files(world: World, page: Page) -> None:
    page.goto(world.url(f"runs/{world.train}"))
    page.get_by_role("tab", name="Artifacts").click()
    expect(page).to_have_url(world.url(f"runs/{world.train}?tab=artifacts"))
    logged = page.get_by_role("region", name="Logged")
    used = page.get_by_role("region", name="Used")
    expect(logged.get_by_role("link")).to_have_text(["classifier:v0"])
    expect(logged).to_contain_text("9.0 kB")
    expect(used.get_by_role("link")).to_have_text(["mnist-mini:v1"])
    shot(page, "run-artifacts")
    page.get_by_role("tab", name="Files").click()
    row = page.locator(".run-files tr[data-path='metrics.json']")
    expect(row.locator("td.num")).to_have_text("19 B")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download metrics.json").click()
    assert Path(info.value.path()).read_bytes() == METRICS
    shot(page, "run-files")
    page.get_by_role("tab", name="Artifacts").click()
    used.get_by_role("link", name="mnist-mini:v1").click()
    expect(page).to_have_url(world.url("artifacts/mnist-mini/v1"))
    expect(page.get_by_role("heading", name="mnist-mini:v1")).to_be_visible()

    page.goto(world.url(f"runs/{world.evaluate}?tab=files"))  # a run that saved nothing
    expect(page.locator("main")).to_contain_text("This run saved no files")


def test_empty_project_shows_how_to_log_a_first_artifact(world: World, page: Page) -> None:
    page.goto(f"{world.server.url}/alice/no-artifacts/artifacts")
    expect(page.locator("main")).to_contain_text("alice/no-artifacts has no artifacts yet")
    code = page.get_by_label("Log a first artifact")
    expect(code).to_contain_text('tracklet.init(project="no-artifacts")')
    expect(code).to_contain_text("run.log_artifact(artifact")
