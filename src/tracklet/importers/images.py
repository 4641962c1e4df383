"""Imported images: files in the run directory and media values, as ``log()`` makes them.

An importer hands over the encoded images it found; they become ``tracklet.Image``
values (so the JSON is what ``log()`` writes), and their files go where the writer
thread would put them (``<run dir>/media/images/<sha256>.png``), for the shipper to store
as blobs before the record, exactly as for a live run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tracklet.importers.tensorboard import ImageSink
from tracklet.store.blobs.local import write_atomically


def image_sink(root: Path) -> ImageSink | None:
    """Images of runs under the data directory ``root``; None without Pillow."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        return None
    from tracklet.sdk.image import Image
    from tracklet.sdk.media import encode_media
    from tracklet.sdk.run import run_dir

    def store(run_id: str, encoded: list[bytes]) -> dict[str, Any]:
        images = [Image(PILImage.open(io.BytesIO(data))) for data in encoded]
        value, files = encode_media("image", images if len(images) > 1 else images[0])
        for relative, data in files:
            target = run_dir(root, run_id) / relative
            if not target.exists():  # content-addressed: a file there holds these bytes
                write_atomically(target, data=data)
        return value

    return store
