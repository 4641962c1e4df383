"""Imported images: files in the run directory and media values, as ``log()`` makes them.

An importer hands over the encoded images it found; they become ``tracklet.Image``
values (so the JSON is what ``log()`` writes), and their files go where the writer
thread would put them (``<run dir>/media/images/<sha256>.png``), for the shipper to store
as blobs before the record, exactly as for a live run.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from tracklet.importers.tensorboard import ImageSink


def image_sink(root: Path) -> ImageSink | None:
    """Images of runs under the data directory ``root``; None without Pillow."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        return None
    from tracklet.sdk.image import Image
    from tracklet.sdk.media import encode_media

    def store(run_id: str, encoded: list[bytes]) -> dict[str, Any]:
        images = [Image(PILImage.open(io.BytesIO(data))) for data in encoded]
        value, files = encode_media("image", images if len(images) > 1 else images[0])
        run_dir = root / "runs" / run_id
        for relative, data in files:
            _write_once(run_dir / relative, data)
        return value

    return store


def _write_once(path: Path, data: bytes) -> None:
    """Write a content-addressed file unless it is there already (atomically)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
