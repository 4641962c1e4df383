"""``Config``: a run's hyperparameters, shaped like ``wandb.config``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tracklet.core.values import check_key, to_json_value
from tracklet.errors import UsageError
from tracklet.sdk.termlog import WarnOnce


def as_mapping(obj: Any) -> dict[str, Any]:
    """Config from a dict, an ``argparse.Namespace``, a dataclass or a Mapping."""
    if obj is None:
        return {}
    if isinstance(obj, Config):
        return obj.as_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "__dict__") and type(obj).__name__ == "Namespace":
        return dict(vars(obj))
    if hasattr(obj, "to_dict") and callable(obj.to_dict):  # transformers configs and args
        return dict(obj.to_dict())
    raise TypeError(
        f"config must be a dict, argparse.Namespace or dataclass, got {type(obj).__name__}"
    )


class Config:
    """Attribute and item access to nested values; every change is recorded in the run log.

    Changing a key that already has a different value needs ``allow_val_change=True``
    (as in W&B). Keys locked by a sweep keep the sweep's value: changes are ignored with a
    warning.
    """

    def __init__(self, emit: Callable[[dict[str, Any], list[str]], None] | None = None,
                 data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_emit", emit)
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_locked", set())
        object.__setattr__(self, "_warn", WarnOnce())

    def update(self, d: Any = None, allow_val_change: bool = False, **kwargs: Any) -> None:
        values = as_mapping(d)
        values.update(kwargs)
        changed: dict[str, Any] = {}
        for key, value in values.items():
            check_key(key, what="config key") if not key.startswith("_") else None
            clean = to_json_value(value, path=f"config.{key}")
            if key in self._locked:
                if self._data.get(key) != clean:
                    self._warn(f"locked:{key}", f"config key {key!r} is set by the sweep "
                               f"({self._data.get(key)!r}); ignoring {clean!r}")
                continue
            if key in self._data and self._data[key] != clean and not allow_val_change:
                raise UsageError(
                    f"config key {key!r} already has the value {self._data[key]!r}; to change "
                    f"it to {clean!r} pass allow_val_change=True"
                )
            if key not in self._data or self._data[key] != clean:
                changed[key] = clean
        if changed:
            self._data.update(changed)
            if self._emit is not None:
                self._emit(changed, [])

    def setdefaults(self, d: Mapping[str, Any]) -> dict[str, Any]:
        """Set keys that are not set yet; return the whole config."""
        self.update({k: v for k, v in d.items() if k not in self._data})
        return self.as_dict()

    def lock(self, values: Mapping[str, Any]) -> None:
        """Set ``values`` and lock their keys (used by sweeps)."""
        clean = {k: to_json_value(v, path=f"config.{k}") for k, v in values.items()}
        self._data.update(clean)
        self._locked.update(clean)
        if self._emit is not None:
            self._emit(clean, sorted(clean))

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"
