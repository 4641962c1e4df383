"""What ``tracklet.config`` and ``tracklet.summary`` are before ``init()``."""

from __future__ import annotations

from typing import Any

from tracklet.errors import NotInitializedError


class Preinit:
    """Any use says to call ``init()`` first."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise NotInitializedError(
            f"tracklet.{self._name} is not available before tracklet.init(); call "
            "tracklet.init(project=...) first"
        )

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        self._fail()

    __setattr__ = __getitem__ = __setitem__ = __contains__ = __iter__ = __len__ = _fail

    def __repr__(self) -> str:
        return f"<tracklet.{self._name} before init()>"
