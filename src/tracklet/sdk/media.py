"""Media values for ``log()``: ``Histogram`` here, ``Image`` (``sdk.image``) and ``Table``
(``sdk.table``).

A media value is any object whose class has ``_tracklet_media = True`` and a
``to_json()`` returning W&B-shaped JSON with a ``_type`` (``{"_type": "histogram",
"values": [...], "bins": [...]}``); one that needs files (an image's bytes) also has
``media_files()``: ``[(path relative to the run directory, bytes)]``. ``log()`` sends
such values as a ``media`` record at the step of the row they were logged with (a list of
images under one key as ``{"_type": "images/separated", "count": n, "images": [...]}``);
the writer thread writes the files into the run directory first, and the shipper stores
them as blobs before the record (``shipping.media``). The store keeps the last value per
key and step, and ``Api().run(path).media()`` reads them back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

MAX_BINS = 512
MAX_LIST = 1000  # images under one key in one log() call

MediaFiles = list[tuple[str, bytes]]


def encode_media(key: str, value: Any) -> tuple[dict[str, Any], MediaFiles]:
    """The JSON a media value (or a list of images) is logged as, and the files it needs.
    Raises a clear error for what cannot be logged."""
    if isinstance(value, (list, tuple)):
        return _encode_list(key, value)
    data = value.to_json()
    files: MediaFiles = value.media_files() if hasattr(value, "media_files") else []
    if data.get("_type") == "table":
        _check_table_size(key, data)
    return data, files


def _encode_list(key: str, values: Sequence[Any]) -> tuple[dict[str, Any], MediaFiles]:
    kinds = {getattr(type(v), "_media_type", None) for v in values}
    if kinds != {"image-file"}:
        names = sorted({type(v).__name__ for v in values})
        raise TypeError(f"cannot log {key!r}: a list under one key must hold only "
                        f"tracklet.Image values, got {', '.join(names)}")
    if len(values) > MAX_LIST:
        raise ValueError(f"cannot log {key!r}: {len(values)} images under one key; the "
                         f"limit is {MAX_LIST}")
    files: MediaFiles = []
    images = []
    for v in values:
        images.append(v.to_json())
        files.extend(v.media_files())
    return {"_type": "images/separated", "count": len(images), "images": images}, files


def _check_table_size(key: str, data: dict[str, Any]) -> None:
    import json

    from tracklet.sdk.table import MAX_BYTES

    size = len(json.dumps(data, separators=(",", ":")))
    if size > MAX_BYTES:
        raise ValueError(f"cannot log {key!r}: the table is {size} bytes as JSON; the "
                         f"limit is {MAX_BYTES} (log fewer rows, or the table as an "
                         "artifact)")



class Histogram:
    """A histogram, shaped like ``wandb.Histogram``.

    ``Histogram(sequence)`` bins a sequence of numbers (a list, numpy array or tensor)
    into ``num_bins`` equal bins; ``Histogram(np_histogram=(counts, edges))`` takes what
    ``numpy.histogram`` returned (``len(edges) == len(counts) + 1``).
    """

    _tracklet_media: ClassVar[bool] = True
    _media_type: ClassVar[str] = "histogram"

    def __init__(self, sequence: Any = None, np_histogram: Any = None,
                 num_bins: int = 64) -> None:
        if not isinstance(num_bins, int) or isinstance(num_bins, bool) or num_bins < 1:
            raise ValueError(f"num_bins must be a positive int, got {num_bins!r}")
        if num_bins > MAX_BINS:
            raise ValueError(f"num_bins is {num_bins}; the limit is {MAX_BINS}")
        if np_histogram is not None:
            if sequence is not None:
                raise ValueError("pass either sequence or np_histogram to Histogram, not both")
            counts, edges = _pair(np_histogram)
        elif sequence is not None:
            counts, edges = _bin(sequence, num_bins)
        else:
            raise ValueError("Histogram needs a sequence of numbers or np_histogram="
                             "(counts, bin_edges)")
        if len(counts) > MAX_BINS:
            raise ValueError(f"the histogram has {len(counts)} bins; the limit is {MAX_BINS}")
        self.histogram: list[float] = counts
        self.bins: list[float] = edges

    def to_json(self) -> dict[str, Any]:
        return {"_type": self._media_type, "values": self.histogram, "bins": self.bins}

    def __repr__(self) -> str:
        return f"Histogram({len(self.histogram)} bins, {self.bins[0]}..{self.bins[-1]})"


def _numbers(seq: Any, what: str) -> list[float]:
    if hasattr(seq, "detach"):  # torch tensors, without importing torch
        seq = seq.detach().cpu().reshape(-1).tolist()
    elif hasattr(seq, "tolist"):
        import numpy as np

        seq = np.asarray(seq, dtype=float).reshape(-1).tolist()
    if isinstance(seq, (str, bytes)) or not isinstance(seq, (Sequence, range)):
        try:
            seq = list(seq)
        except TypeError:
            raise TypeError(f"{what} must be a sequence of numbers, got "
                            f"{type(seq).__name__}") from None
    try:
        return [float(v) for v in seq]
    except (TypeError, ValueError):
        raise TypeError(f"{what} must contain only numbers") from None


def _pair(np_histogram: Any) -> tuple[list[float], list[float]]:
    try:
        counts_raw, edges_raw = np_histogram
    except (TypeError, ValueError):
        raise ValueError("np_histogram must be a pair (counts, bin_edges) as returned by "
                         "numpy.histogram") from None
    counts = [int(c) if c.is_integer() else c  # counts stay ints, densities floats
              for c in _numbers(counts_raw, "np_histogram counts")]
    edges = _numbers(edges_raw, "np_histogram bin edges")
    if len(edges) != len(counts) + 1:
        raise ValueError(f"np_histogram has {len(counts)} counts and {len(edges)} bin edges; "
                         "there must be one more edge than counts")
    return counts, edges


def _bin(sequence: Any, num_bins: int) -> tuple[list[float], list[float]]:
    import numpy as np

    values = np.asarray(_numbers(sequence, "Histogram sequence"), dtype=float)
    values = values[np.isfinite(values)]  # NaN and inf have no bin (as numpy would fail)
    if values.size == 0:
        return [0.0] * num_bins, [float(x) for x in np.linspace(0.0, 1.0, num_bins + 1)]
    counts, edges = np.histogram(values, bins=num_bins)
    return [int(c) for c in counts], [float(e) for e in edges if math.isfinite(e)]
