"""Validation of what users log: metric keys, metric values, config values, names.

``MetricCoercer.coerce`` is on the training thread's hot path: keys already seen are
accepted by one set lookup and plain floats and ints go straight through.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

MAX_KEY_LENGTH = 256
MAX_NAME_LENGTH = 128
MAX_TAG_LENGTH = 64
MAX_TEXT_LENGTH = 64 * 1024
MAX_CONFIG_STRING = 64 * 1024
RESERVED_PREFIX = "_"


def check_key(key: object, *, what: str = "metric key") -> str:
    """Return ``key`` if it can be stored, else raise with a message that says why."""
    if not isinstance(key, str):
        raise TypeError(f"{what} must be a string, got {type(key).__name__}: {key!r}")
    if not key:
        raise ValueError(f"{what} is empty; use a non-empty name such as 'train/loss'")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"{what} {key[:40]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise ValueError(f"{what} {key!r} contains control characters; remove them")
    if key != key.strip():
        raise ValueError(f"{what} {key!r} has leading or trailing whitespace")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(
            f"{what} {key!r} starts with '_', which is reserved for _step, _timestamp and "
            "_runtime; pass the step with log(..., step=N) instead"
        )
    return key


def to_number(key: str, value: object) -> float:
    """A loggable scalar as a float, or TypeError naming the key and the type."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, numbers.Real):  # int, float, numpy scalars, Fraction, ...
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"cannot log {key!r}: {type(value).__name__} value is too large "
                             "for a 64-bit float") from None
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        # 0-d numpy arrays and 0-d torch tensors, without importing either library
        item = value.item()
        if isinstance(item, (bool, numbers.Real)):
            return float(item)
    shape = getattr(value, "shape", None)
    hint = f" with shape {tuple(shape)}" if shape is not None else ""
    raise TypeError(
        f"cannot log {key!r}: a value of type {type(value).__name__}{hint} is not a scalar "
        "number; log ints, floats, bools, 0-d arrays or tensors, or dicts of them (use "
        "config or summary for text)"
    )


_FLOAT = frozenset((float,))


class MetricCoercer:
    """Flattens nested dicts to ``a/b`` keys and turns values into floats."""

    __slots__ = ("_flat", "_known", "media")

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._flat: set[str] = set()  # top-level keys seen with plain number values
        # media values (objects of classes with ``_tracklet_media``, or lists of them)
        # found by the last slow-path coerce; the caller takes, encodes and clears them
        self.media: dict[str, Any] = {}

    def coerce(self, data: Mapping[str, Any]) -> dict[str, float]:
        # fast path, all in C: a plain dict of known keys whose values are all floats
        if type(data) is dict and data.keys() <= self._flat and _FLOAT.issuperset(
                map(type, data.values())):
            return data.copy()
        if not isinstance(data, Mapping):
            raise TypeError(
                f"log() takes a dict of metric names to values, got {type(data).__name__}"
            )
        out: dict[str, float] = {}
        if self.media:  # left by a call that failed part way
            self.media = {}
        self._into(data, "", out)
        if type(data) is dict:
            self._flat.update(k for k, v in data.items() if type(v) is float)
        return out

    def _into(self, data: Mapping[str, Any], prefix: str, out: dict[str, float]) -> None:
        known = self._known
        for key, value in data.items():
            full = prefix + key if prefix else key
            if full not in known:
                check_key(key)
                check_key(full)
                known.add(full)
            kind = type(value)
            if kind is float:
                out[full] = value
            elif value is None:
                continue  # documented: None logs nothing
            elif isinstance(value, Mapping):
                self._into(value, full + "/", out)
            elif getattr(kind, "_tracklet_media", False):
                self.media[full] = value
            elif (kind is list or kind is tuple) and value and getattr(
                    type(value[0]), "_tracklet_media", False):
                self.media[full] = value  # a list of images (checked by the caller)
            else:
                out[full] = to_number(full, value)


def to_json_value(value: Any, *, path: str = "config") -> Any:
    """A config or summary value as plain JSON data.

    numpy scalars and arrays become numbers and lists, tuples and sets become lists,
    dataclass-like objects their ``__dict__`` is *not* taken (too surprising); any other
    object is stored as ``str(value)``, as W&B does. Over-long strings are refused.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**64:
            return value
        return str(value)  # beyond what msgpack and JSON databases hold exactly
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_CONFIG_STRING:
            raise ValueError(
                f"{path} is a string of {len(value)} characters; the limit is "
                f"{MAX_CONFIG_STRING} (store large text as a file or artifact)"
            )
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                k = str(k)
            out[k] = to_json_value(v, path=f"{path}.{k}")
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_value(v, path=f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays, tensors
        return to_json_value(value.tolist(), path=path)
    return str(value)


def check_text(value: object, *, what: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value)} characters; the limit is {limit}")
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value


def check_tags(tags: object) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not hasattr(tags, "__iter__"):
        raise TypeError(f"tags must be a list of strings, got {type(tags).__name__}")
    out: list[str] = []
    for tag in tags:
        check_text(tag, what="tag", limit=MAX_TAG_LENGTH)
        if not tag.strip():
            raise ValueError("tags must not be empty")
        if tag not in out:
            out.append(tag)
    return out


def json_safe_float(value: float) -> float | str:
    """NaN and infinities as the strings JSON readers understand ('NaN', 'Infinity')."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
