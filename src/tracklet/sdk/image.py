"""``tracklet.Image``: an image for ``log()``, shaped like ``wandb.Image``.

The image is encoded (Pillow) when it is made, as W&B does. ``log()`` queues the encoded
bytes with the media record; the writer thread (never the training thread) writes them
into the run directory as ``media/images/<sha256>.<ext>`` before the record, and the
shipper stores them in the content-addressed blob store before it delivers the record
(see ``shipping.media``). The record itself carries only
``{"_type": "image-file", "sha256", "size", "width", "height", "format", "path", ...}``.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tracklet.core.values import to_json_value

FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp",
           "bmp": "bmp"}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp", "bmp": "bmp"}
IMAGE_DIR = "media/images"
MAX_PIXELS = 100_000_000  # a larger image is almost certainly a mistake (and Pillow's bomb)


def _pil() -> Any:
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise ImportError("tracklet.Image needs Pillow: pip install 'tracklet[media]' "
                          "(or pip install pillow)") from None
    return PILImage


class Image:
    """An image to log: ``tracklet.Image(data_or_path, caption=...)``.

    ``data_or_path`` is a numpy array (``HxW``, ``HxWx1``, ``HxWx3`` or ``HxWx4``), a torch
    tensor (``CxHxW`` or ``HxWxC``), a PIL image, or the path of an image file. Arrays
    whose values are all in ``[0, 1]`` are scaled to 0-255 and negative values are
    stretched to 0-255 first, as W&B does. ``file_type`` picks the encoding of arrays
    (``png``, the default, is lossless; ``jpg``, ``gif``, ``webp``, ``bmp``); a file is
    kept as it is. ``boxes`` (W&B's bounding-box JSON) and ``classes`` are stored with the
    image; ``masks`` (``{group: {"mask_data": HxW array of class ids 0-255,
    "class_labels": {id: name}}}``) are stored as PNG images of their own beside it.
    """

    _tracklet_media: ClassVar[bool] = True
    _media_type: ClassVar[str] = "image-file"

    def __init__(self, data_or_path: Any, mode: str | None = None, caption: str | None = None,
                 grouping: int | None = None, classes: Any = None, boxes: Any = None,
                 masks: Any = None, file_type: str | None = None) -> None:
        if caption is not None and not isinstance(caption, str):
            caption = str(caption)
        if grouping is not None and (not isinstance(grouping, int)
                                     or isinstance(grouping, bool)):
            raise TypeError(f"grouping must be an int, got {type(grouping).__name__}")
        self.caption = caption
        self._grouping = grouping
        self._classes = None if classes is None else _classes_json(classes)
        self._boxes = None if boxes is None else _boxes_json(boxes)
        self._format, self._bytes, self.width, self.height = _encode(data_or_path, mode,
                                                                   file_type)
        self.sha256 = hashlib.sha256(self._bytes).hexdigest()
        self._masks: list[tuple[str, dict[str, Any], Image]] = (
            [] if masks is None else _masks(masks, self.width, self.height))

    @property
    def format(self) -> str:
        return self._format

    @property
    def path(self) -> str:
        """Where the file goes, relative to the run directory."""
        return f"{IMAGE_DIR}/{self.sha256}.{EXTENSIONS[self._format]}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"_type": self._media_type, "sha256": self.sha256,
                               "size": len(self._bytes), "width": self.width,
                               "height": self.height, "format": self._format,
                               "path": self.path}
        if self.caption is not None:
            out["caption"] = self.caption
        if self._grouping is not None:
            out["grouping"] = self._grouping
        if self._classes is not None:
            out["classes"] = self._classes
        if self._boxes is not None:
            out["boxes"] = self._boxes
        if self._masks:
            out["masks"] = {group: {**spec, "mask": mask.to_json()}
                            for group, spec, mask in self._masks}
        return out

    def media_files(self) -> list[tuple[str, bytes]]:
        """The files this value needs in the run directory: (relative path, bytes)."""
        return [(self.path, self._bytes),
                *((mask.path, mask._bytes) for _, _, mask in self._masks)]

    def image(self) -> Any:
        """The image as a PIL image (decoded from what will be logged)."""
        return _pil().open(io.BytesIO(self._bytes))

    def __repr__(self) -> str:
        return f"Image({self.width}x{self.height} {self._format}, caption={self.caption!r})"


# -- encoding ----------------------------------------------------------------------------


def _encode(data: Any, mode: str | None, file_type: str | None
            ) -> tuple[str, bytes, int, int]:
    """(format, encoded bytes, width, height)."""
    pil = _pil()
    if file_type is not None:
        fmt = FORMATS.get(str(file_type).lower().lstrip("."))
        if fmt is None:
            raise ValueError(f"file_type {file_type!r} is not supported: use one of "
                             f"{', '.join(sorted(FORMATS))}")
    else:
        fmt = None
    if isinstance(data, Image):
        return data._format, data._bytes, data.width, data.height
    if isinstance(data, (str, os.PathLike)):
        return _from_file(pil, Path(data), mode, fmt)
    img = data if isinstance(data, pil.Image) else _from_array(pil, data)
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    fmt = fmt or "png"
    if fmt == "jpeg" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")  # JPEG has no alpha channel
    out = io.BytesIO()
    img.save(out, format=fmt.upper())
    return fmt, out.getvalue(), int(img.width), int(img.height)


def _from_file(pil: Any, path: Path, mode: str | None,
               fmt: str | None) -> tuple[str, bytes, int, int]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"Image({str(path)!r}): no such file") from None
    except IsADirectoryError:
        raise ValueError(f"Image({str(path)!r}) is a directory, not an image file") from None
    try:
        img = pil.open(io.BytesIO(raw))
        img.load()
    except Exception:
        raise ValueError(f"Image({str(path)!r}): not an image file Pillow can read (png, "
                         "jpg, gif, webp, bmp, ...)") from None
    found = FORMATS.get(str(img.format or "").lower())
    if found is not None and mode is None and fmt in (None, found):
        return found, raw, int(img.width), int(img.height)  # keep the file as it is
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    fmt = fmt or "png"
    if fmt == "jpeg" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, format=fmt.upper())
    return fmt, out.getvalue(), int(img.width), int(img.height)


def _from_array(pil: Any, data: Any) -> Any:
    import numpy as np

    if hasattr(data, "detach") and hasattr(data, "cpu"):  # a torch tensor, not imported
        tensor = data.detach().cpu()
        try:
            arr = tensor.numpy()
        except TypeError:  # bfloat16 and other dtypes numpy lacks
            arr = tensor.float().numpy()
        if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
            arr = np.transpose(arr, (1, 2, 0))  # CHW -> HWC
    elif hasattr(data, "__array__") or (isinstance(data, Sequence)
                                        and not isinstance(data, (str, bytes))):
        arr = np.asarray(data)
    else:
        raise TypeError(f"Image takes a numpy array, a torch tensor, a PIL image or the "
                        f"path of an image file; got {type(data).__name__}")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"Image needs an array of numbers; got dtype {arr.dtype}")
    shape = tuple(arr.shape)
    if arr.ndim == 3 and shape[-1] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        raise ValueError(f"Image cannot make an image of an array of shape {list(shape)}: "
                         "use HxW (grayscale), HxWx1, HxWx3 (RGB) or HxWx4 (RGBA)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"Image got an empty array of shape {list(shape)}")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ValueError(f"Image of {arr.shape[1]}x{arr.shape[0]} pixels is over the limit "
                         f"of {MAX_PIXELS} pixels")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError("Image got an array with NaN or infinite values")
    return pil.fromarray(_to_uint8(arr))


def _to_uint8(arr: Any) -> Any:
    """W&B's rule: negative values are stretched to [0, 1]; arrays with all values in
    [0, 1] are scaled by 255; the rest is clipped to 0-255."""
    import numpy as np

    if arr.dtype == np.uint8 and arr.max(initial=0) > 1:
        return arr
    data = arr.astype(np.float64)
    lo = data.min()
    if lo < 0:
        span = data.max() - lo
        data = (data - lo) / span if span > 0 else data - lo
    if data.max() <= 1.0:
        data = data * 255
    return np.clip(data, 0, 255).astype(np.int32).astype(np.uint8)


# -- annotations ---------------------------------------------------------------------------


def _classes_json(classes: Any) -> Any:
    """W&B's ``classes``: a list of ``{"id": int, "name": str}`` (or a ``wandb.Classes``)."""
    if hasattr(classes, "to_json") and not isinstance(classes, Mapping):
        classes = getattr(classes, "_class_set", classes)
    try:
        return to_json_value(list(classes) if not isinstance(classes, Mapping) else classes,
                             path="Image classes")
    except TypeError:
        raise TypeError("Image classes must be a list like [{'id': 1, 'name': 'cat'}]") \
            from None


def _boxes_json(boxes: Any) -> dict[str, Any]:
    """W&B's ``boxes``: ``{group: {"box_data": [{"position": {...}, "class_id": int, ...}],
    "class_labels": {id: name}}}``, checked and kept as JSON (label keys as strings)."""
    if not isinstance(boxes, Mapping):
        raise TypeError("Image boxes must be a dict like {'predictions': {'box_data': "
                        "[...], 'class_labels': {...}}}")
    out: dict[str, Any] = {}
    for group, spec in boxes.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("box_data"), Sequence):
            raise ValueError(f"Image boxes[{group!r}] needs a 'box_data' list")
        for i, box in enumerate(spec["box_data"]):
            position = box.get("position") if isinstance(box, Mapping) else None
            if not isinstance(position, Mapping) or not (
                    {"minX", "maxX", "minY", "maxY"} <= position.keys()
                    or {"middle", "width", "height"} <= position.keys()):
                raise ValueError(f"Image boxes[{group!r}]['box_data'][{i}] needs a "
                                 "'position' with minX/maxX/minY/maxY or middle/width/height")
        labels = spec.get("class_labels")
        entry = dict(spec)
        if labels is not None:
            if not isinstance(labels, Mapping):
                raise TypeError(f"Image boxes[{group!r}]['class_labels'] must be a dict of "
                                "class id to name")
            entry["class_labels"] = {str(k): str(v) for k, v in labels.items()}
        out[str(group)] = to_json_value(entry, path=f"Image boxes[{group!r}]")
    return out


def _masks(masks: Any, width: int, height: int) -> list[tuple[str, dict[str, Any], Image]]:
    """W&B's ``masks``: ``{group: {"mask_data": 2-D array of class ids (0-255), or "path":
    a PNG of them, "class_labels": {id: name}}}``; each mask becomes a PNG ``Image``."""
    import numpy as np

    if not isinstance(masks, Mapping):
        raise TypeError("Image masks must be a dict like {'predictions': {'mask_data': "
                        "array, 'class_labels': {...}}}")
    out = []
    for group, spec in masks.items():
        if not isinstance(spec, Mapping) or ("mask_data" in spec) == ("path" in spec):
            raise ValueError(f"Image masks[{group!r}] needs 'mask_data' (an array) or "
                             "'path' (a PNG file), one of them")
        if "path" in spec:
            data = np.asarray(_pil().open(spec["path"]))
        else:
            data = spec["mask_data"]
            data = data.detach().cpu().numpy() if hasattr(data, "detach") else np.asarray(data)
        if data.ndim != 2 or (data.shape[0], data.shape[1]) != (height, width):
            raise ValueError(f"Image masks[{group!r}] has shape {list(data.shape)}; it must "
                             f"be the image's [{height}, {width}] (one class id per pixel)")
        if data.dtype == bool:
            data = data.astype(np.uint8)
        if not np.issubdtype(data.dtype, np.integer) or data.min() < 0 or data.max() > 255:
            raise ValueError(f"Image masks[{group!r}] must hold integer class ids from 0 to "
                             "255")
        entry: dict[str, Any] = {}
        labels = spec.get("class_labels")
        if labels is not None:
            if not isinstance(labels, Mapping):
                raise TypeError(f"Image masks[{group!r}]['class_labels'] must be a dict of "
                                "class id to name")
            entry["class_labels"] = {str(k): str(v) for k, v in labels.items()}
        out.append((str(group), entry, Image(_pil().fromarray(data.astype(np.uint8)))))
    return out
