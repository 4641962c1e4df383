"""Media values' JSON: where the images are inside one (pure functions over plain data).

An image is ``{"_type": "image-file", "sha256", "size", "width", "height", "format",
"path", ...}`` on its own (its ``masks`` hold images too), inside
``{"_type": "images/separated", "images": [...]}`` (a list logged under one key) or in
the cells of a ``{"_type": "table", ...}``. Its bytes are the blob ``sha256``; ``path``
is where the file sits in the run directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

IMAGE_TYPE = "image-file"
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif",
                 "webp": "image/webp", "bmp": "image/bmp"}
BLOB_TYPES = ("image-file", "images/separated", "table")  # media types that may hold images


def image_files(value: Any) -> Iterator[dict[str, Any]]:
    """The ``image-file`` dicts inside a media value, in order."""
    if isinstance(value, dict):
        if value.get("_type") == IMAGE_TYPE:
            yield value  # then the images inside it: its masks
        for v in value.values():
            yield from image_files(v)
    elif isinstance(value, list):
        for v in value:
            yield from image_files(v)
