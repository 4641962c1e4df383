"""tracklet.Image in local mode: what is logged reads back through the Api, pixel for pixel."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

import tracklet
from tracklet import errors
from tracklet.cli.main import main
from tracklet.sdk.media_read import MediaImage

RNG = np.random.default_rng(7)


def pixels(image: MediaImage) -> Any:
    return np.asarray(PILImage.open(io.BytesIO(image.bytes())))


def media(data: Path, project: str, run_id: str) -> list[dict[str, Any]]:
    with tracklet.Api(data) as api:
        return [{k: v for k, v in row.items() if k != "_timestamp"}
                for row in api.run(f"{project}/{run_id}").media()]


def test_arrays_pil_images_files_and_tensors_read_back_pixel_for_pixel(
        data: Path, tmp_path: Path) -> None:
    rgb = RNG.integers(0, 256, (12, 20, 3), dtype=np.uint8)
    gray = RNG.integers(0, 256, (9, 7), dtype=np.uint8)
    rgba = RNG.integers(0, 256, (5, 6, 4), dtype=np.uint8)
    unit = RNG.random((4, 5, 3))  # floats in [0, 1]: scaled to 0-255 as W&B does
    pil = PILImage.fromarray(RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    on_disk = tmp_path / "cat.png"
    PILImage.fromarray(rgb).save(on_disk)
    torch = pytest.importorskip("torch")
    chw = torch.from_numpy(np.transpose(rgb, (2, 0, 1)).copy())  # CxHxW as torch has it

    run = tracklet.init(project="img")
    tracklet.log({"rgb": tracklet.Image(rgb, caption="random"), "loss": 0.5})
    tracklet.log({"gray": tracklet.Image(gray), "gray1": tracklet.Image(gray[:, :, None]),
                  "rgba": tracklet.Image(rgba), "unit": tracklet.Image(unit)})
    tracklet.log({"pil": tracklet.Image(pil, caption="pil"),
                  "file": tracklet.Image(on_disk), "tensor": tracklet.Image(chw)}, step=10)
    run.finish()

    rows = media(data, "img", run.id)
    assert [r["_step"] for r in rows] == [0, 1, 10]
    first, second, third = rows
    image = first["rgb"]
    assert isinstance(image, MediaImage)
    assert (image["_type"], image.caption, image.width, image.height, image["format"]) == (
        "image-file", "random", 20, 12, "png")
    assert np.array_equal(pixels(image), rgb)
    assert np.array_equal(pixels(second["gray"]), gray)
    assert np.array_equal(pixels(second["gray1"]), gray)
    assert np.array_equal(pixels(second["rgba"]), rgba)
    assert np.array_equal(pixels(second["unit"]), (unit * 255).astype(np.uint8))
    assert np.array_equal(pixels(third["pil"]), np.asarray(pil))
    assert third["pil"].caption == "pil"
    assert third["file"].bytes() == on_disk.read_bytes()  # a file is kept as it is
    assert np.array_equal(pixels(third["tensor"]), rgb)
    # the history row of the first log() has the scalar; media is not in history
    with tracklet.Api(data) as api:
        assert [r["loss"] for r in api.run(f"img/{run.id}").scan_history()] == [0.5]


def test_jpeg_files_keep_their_format_and_download_writes_the_file(
        data: Path, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    PILImage.fromarray(RNG.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)
    run = tracklet.init(project="jpg")
    tracklet.log({"photo": tracklet.Image(str(path)),
                  "as_jpeg": tracklet.Image(np.zeros((4, 4, 3)), file_type="jpg")})
    run.finish()
    (row,) = media(data, "jpg", run.id)
    photo = row["photo"]
    assert photo["format"] == "jpeg" and photo["path"].endswith(".jpg")
    dest = photo.download(tmp_path / "out")
    assert dest == tmp_path / "out" / photo["path"]
    assert dest.read_bytes() == path.read_bytes()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == photo.sha256
    assert row["as_jpeg"]["format"] == "jpeg"
    assert row["as_jpeg"].image().size == (4, 4)


def test_a_list_of_images_under_one_key(data: Path) -> None:
    a = RNG.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    b = RNG.integers(0, 256, (3, 4), dtype=np.uint8)
    run = tracklet.init(project="list")
    tracklet.log({"samples": [tracklet.Image(a, caption="a"), tracklet.Image(b)]})
    run.finish()
    (row,) = media(data, "list", run.id)
    group = row["samples"]
    assert group["_type"] == "images/separated" and group["count"] == 2
    first, second = group["images"]
    assert first.caption == "a" and second.caption is None
    assert np.array_equal(pixels(first), a) and np.array_equal(pixels(second), b)


def test_the_run_directory_holds_the_files_and_the_blob_store_the_bytes(data: Path) -> None:
    run = tracklet.init(project="files")
    image = tracklet.Image(np.full((2, 2, 3), 200, dtype=np.uint8))
    tracklet.log({"one": image})
    tracklet.log({"same": image})  # the same bytes: one file, one blob
    run.finish()
    files = sorted((data / "runs" / run.id / "media" / "images").iterdir())
    assert [f.name for f in files] == [f"{image.sha256}.png"]
    blob = data / "artifacts" / "blobs" / "sha256" / image.sha256[:2] / image.sha256[2:4]
    assert (blob / image.sha256).read_bytes() == files[0].read_bytes()


def test_boxes_and_classes_are_kept_with_the_image(data: Path) -> None:
    boxes = {"predictions": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5,
                                                        "minY": 0.2, "maxY": 0.6},
                                           "class_id": 1, "box_caption": "cat",
                                           "scores": {"p": 0.9}}],
                             "class_labels": {1: "cat"}}}
    run = tracklet.init(project="boxes")
    tracklet.log({"det": tracklet.Image(np.zeros((8, 8, 3), dtype=np.uint8), boxes=boxes,
                                        classes=[{"id": 1, "name": "cat"}], grouping=2)})
    run.finish()
    (row,) = media(data, "boxes", run.id)
    det = row["det"]
    assert det["boxes"]["predictions"]["class_labels"] == {"1": "cat"}
    assert det["boxes"]["predictions"]["box_data"][0]["box_caption"] == "cat"
    assert det["classes"] == [{"id": 1, "name": "cat"}] and det["grouping"] == 2


def test_bfloat16_tensors_and_float_tensors_scale_as_arrays() -> None:
    torch = pytest.importorskip("torch")
    values = torch.tensor([[0.0, 0.5], [1.0, 0.25]])
    image = tracklet.Image(values.to(torch.bfloat16))
    assert np.array_equal(np.asarray(image.image()), np.array([[0, 127], [255, 63]]))


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: np.zeros((2, 2, 2, 2, 3)), ValueError, r"shape \[2, 2, 2, 2, 3\].*HxW"),
    (lambda: np.zeros(5), ValueError, r"shape \[5\]"),
    (lambda: np.zeros((4, 4, 2)), ValueError, r"shape \[4, 4, 2\]"),
    (lambda: np.zeros((0, 4)), ValueError, "empty array"),
    (lambda: np.array([["a"]]), TypeError, "array of numbers"),
    (lambda: np.full((2, 2), np.nan), ValueError, "NaN"),
    (lambda: {"not": "an image"}, TypeError, "numpy array, a torch tensor, a PIL image"),
])
def test_bad_arrays_say_what_is_wrong(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        tracklet.Image(make())


def test_masks_are_stored_as_images_of_their_own(data: Path) -> None:
    classes = np.array([[0, 1, 1], [2, 2, 0]], dtype=np.uint8)
    run = tracklet.init(project="masks")
    tracklet.log({"seg": tracklet.Image(np.zeros((2, 3, 3), dtype=np.uint8), masks={
        "predictions": {"mask_data": classes, "class_labels": {0: "bg", 1: "cat", 2: "dog"}},
        "truth": {"mask_data": classes == 1}})})
    run.finish()
    (row,) = media(data, "masks", run.id)
    masks = row["seg"]["masks"]
    assert masks["predictions"]["class_labels"] == {"0": "bg", "1": "cat", "2": "dog"}
    assert np.array_equal(pixels(masks["predictions"]["mask"]), classes)
    assert np.array_equal(pixels(masks["truth"]["mask"]), (classes == 1).astype(np.uint8))


def test_bad_files_and_arguments_say_what_is_wrong(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="not an image file Pillow can read"):
        tracklet.Image(text)
    with pytest.raises(FileNotFoundError, match="no such file"):
        tracklet.Image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match=r"masks\['p'\] has shape \[3, 3\]; it must be the "
                                         r"image's \[2, 2\]"):
        tracklet.Image(np.zeros((2, 2)), masks={"p": {"mask_data": np.zeros((3, 3), int)}})
    with pytest.raises(ValueError, match="integer class ids from 0 to 255"):
        tracklet.Image(np.zeros((2, 2)), masks={"p": {"mask_data": np.full((2, 2), 300)}})
    with pytest.raises(ValueError, match=r"needs 'mask_data' .* or 'path'"):
        tracklet.Image(np.zeros((2, 2)), masks={"p": {"class_labels": {}}})
    with pytest.raises(ValueError, match="file_type 'tiff' is not supported"):
        tracklet.Image(np.zeros((2, 2)), file_type="tiff")
    with pytest.raises(ValueError, match="needs a 'position'"):
        tracklet.Image(np.zeros((2, 2)), boxes={"p": {"box_data": [{"class_id": 1}]}})


def test_a_list_mixing_images_and_other_values_is_refused(data: Path) -> None:
    run = tracklet.init(project="mixed")
    with pytest.raises(TypeError, match=r"only tracklet\.Image values, got Histogram, Image"):
        tracklet.log({"bad": [tracklet.Image(np.zeros((2, 2))), tracklet.Histogram([1.0])]})
    tracklet.log({"ok": 1.0})
    run.finish()
    assert media(data, "mixed", run.id) == []


def test_without_pillow_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'tracklet\[media\]'"):
        tracklet.Image(np.zeros((2, 2)))


def test_offline_runs_ship_their_images_with_tracklet_sync(data: Path) -> None:
    arr = RNG.integers(0, 256, (5, 5, 3), dtype=np.uint8)
    run = tracklet.init(project="off", mode="offline")
    tracklet.log({"pic": tracklet.Image(arr, caption="later")})
    run.finish()
    assert not (data / "artifacts").exists()  # nothing shipped yet
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    (row,) = media(data, "off", run.id)
    assert np.array_equal(pixels(row["pic"]), arr) and row["pic"].caption == "later"
    again = CliRunner().invoke(main, ["sync"])
    assert "up to date" in again.output


def test_a_missing_image_file_does_not_stop_sync(data: Path) -> None:
    """The file was deleted before sync: the record ships, marked missing, and the rest
    of the run (scalars, other images) arrives."""
    run = tracklet.init(project="lost", mode="offline")
    gone = tracklet.Image(np.zeros((3, 3), dtype=np.uint8))
    kept = tracklet.Image(np.full((3, 3), 9, dtype=np.uint8))
    tracklet.log({"gone": gone, "kept": kept, "loss": 1.0})
    run.finish()
    (data / "runs" / run.id / gone.path).unlink()
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    (row,) = media(data, "lost", run.id)
    assert "could not be read" in row["gone"]["missing"]
    with pytest.raises(errors.NotFoundError, match="stored without its bytes"):
        row["gone"].bytes()
    assert np.array_equal(pixels(row["kept"]), np.full((3, 3), 9, dtype=np.uint8))
    with tracklet.Api(data) as api:
        assert [r["loss"] for r in api.run(f"lost/{run.id}").scan_history()] == [1.0]


def test_garbage_collection_keeps_the_blobs_of_logged_images(data: Path) -> None:
    run = tracklet.init(project="gc")
    image = tracklet.Image(np.full((2, 3), 77, dtype=np.uint8))
    tracklet.log({"keep": image})
    run.finish()
    result = CliRunner().invoke(main, ["gc", "--delete", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    (row,) = media(data, "gc", run.id)
    assert np.array_equal(pixels(row["keep"]), np.full((2, 3), 77, dtype=np.uint8))


def test_a_wandb_script_logging_images_and_tables_runs_unchanged(data: Path,
                                                                 tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np\n"
        "import tracklet as wandb\n"
        "run = wandb.init(project='compat')\n"
        "img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20\n"
        "table = wandb.Table(columns=['id', 'image', 'label'])\n"
        "table.add_data(1, wandb.Image(img, caption='x'), 'cat')\n"
        "wandb.log({'examples': wandb.Image(img, caption='first'), 'acc': 0.5})\n"
        "wandb.log({'predictions': table})\n"
        "print(run.id)\n"
        "wandb.finish()\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split()[-1]
    rows = media(data, "compat", run_id)
    expected = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert rows[0]["examples"].caption == "first"
    assert np.array_equal(pixels(rows[0]["examples"]), expected)
    table = rows[1]["predictions"]
    assert table["columns"] == ["id", "image", "label"]
    (cells,) = table["data"]
    assert cells[0] == 1 and cells[2] == "cat"
    assert np.array_equal(pixels(cells[1]), expected) and cells[1].caption == "x"


def test_a_media_file_that_cannot_be_written_never_stops_training(
        data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tracklet.init(project="nodisk", mode="offline")
    (data / "runs" / run.id / "media").write_text("a file where the media folder goes")
    for step in range(3):
        tracklet.log({"pic": tracklet.Image(np.full((2, 2), step, dtype=np.uint8)),
                      "loss": float(step)})
    run.finish()
    warnings = [line for line in capsys.readouterr().err.splitlines()
                if "cannot write the media file" in line]
    assert len(warnings) == 1  # warned once, not per image
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    rows = media(data, "nodisk", run.id)
    assert [r["_step"] for r in rows] == [0, 1, 2]
    assert all("could not be read" in r["pic"]["missing"] for r in rows)
    with tracklet.Api(data) as api:
        assert [r["loss"] for r in api.run(f"nodisk/{run.id}").scan_history()] == [0.0, 1.0,
                                                                                   2.0]
