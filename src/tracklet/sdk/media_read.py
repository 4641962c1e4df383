"""Media values read back (``ApiRun.media()``): images with a way to their bytes.

An image comes back as a ``MediaImage``: a dict equal to the ``image-file`` JSON that was
logged (``value["caption"]``, ``value["width"]``...), plus ``bytes()``, ``image()`` (a PIL
image) and ``download(root)``. Images inside lists (``images/separated``) and table cells
are wrapped the same way; everything else is the JSON as logged.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracklet.core.media import IMAGE_TYPE

Fetch = Callable[[str], bytes]


class MediaImage(dict[str, Any]):
    """An image a run logged: its JSON, and its bytes on demand."""

    def __init__(self, data: dict[str, Any], fetch: Fetch) -> None:
        super().__init__(data)
        self._fetch = fetch

    @property
    def sha256(self) -> str:
        return str(self["sha256"])

    @property
    def caption(self) -> str | None:
        return self.get("caption")

    @property
    def width(self) -> int:
        return int(self["width"])

    @property
    def height(self) -> int:
        return int(self["height"])

    def bytes(self) -> bytes:
        """The encoded file (PNG, JPEG...), checked against its sha256."""
        import hashlib

        from tracklet.errors import NotFoundError, StoreError

        if "missing" in self:
            raise NotFoundError(f"image {self.sha256} was stored without its bytes: "
                                f"{self['missing']}")
        data = self._fetch(self.sha256)
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise StoreError(f"the bytes read for image {self.sha256} do not match its "
                             "sha256")
        return data

    def image(self) -> Any:
        """The image as a PIL image (needs Pillow: pip install 'tracklet[media]')."""
        from tracklet.sdk.image import _pil

        return _pil().open(io.BytesIO(self.bytes()))

    def download(self, root: str | os.PathLike[str] = ".", replace: bool = False) -> Path:
        """Write the file to ``root/<path>`` (``media/images/<sha256>.png``, as in the run
        directory) and return that path; an existing file is kept unless ``replace``."""
        dest = Path(root) / str(self["path"])
        if dest.exists() and not replace:
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        tmp.write_bytes(self.bytes())
        os.replace(tmp, dest)
        return dest

    def __repr__(self) -> str:
        return (f"MediaImage({self.get('width')}x{self.get('height')} {self.get('format')}, "
                f"caption={self.get('caption')!r})")


def wrap_media(value: Any, fetch: Fetch) -> Any:
    """``value`` with every ``image-file`` dict inside it made a ``MediaImage``."""
    if isinstance(value, dict):
        if value.get("_type") == IMAGE_TYPE and isinstance(value.get("sha256"), str):
            return MediaImage({k: wrap_media(v, fetch) for k, v in value.items()}, fetch)
        return {k: wrap_media(v, fetch) for k, v in value.items()}
    if isinstance(value, list):
        return [wrap_media(v, fetch) for v in value]
    return value
