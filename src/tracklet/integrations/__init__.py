"""Framework integrations: Transformers, Accelerate, Lightning, Keras.

Each lives in its own module and imports its framework only when used. ``import
tracklet`` installs one cheap import hook (``install_import_hook``) so that
``TrainingArguments(report_to="tracklet")`` works: when transformers loads
``transformers.integrations.integration_utils`` (or if it already has), Tracklet's
callback is added to its ``INTEGRATION_TO_CALLBACK`` table. Nothing else is touched.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

TRANSFORMERS_MODULE = "transformers.integrations.integration_utils"
REPORT_TO_NAME = "tracklet"


def register_transformers(module: ModuleType) -> None:
    """Add ``"tracklet"`` to transformers' ``report_to`` table (idempotent; never fails
    the import of transformers)."""
    table = getattr(module, "INTEGRATION_TO_CALLBACK", None)
    if not isinstance(table, dict) or REPORT_TO_NAME in table:
        return
    try:
        from tracklet.integrations.transformers import TrackletCallback
    except Exception as exc:  # an incompatible transformers: say so, do not break it
        from tracklet.sdk.termlog import termwarn

        termwarn(f"could not register report_to='tracklet' with transformers: {exc!r}; "
                 "pass callbacks=[tracklet.integrations.transformers.TrackletCallback()]")
        return
    table[REPORT_TO_NAME] = TrackletCallback


class _RegisteringLoader:
    """Runs the real loader, then registers Tracklet's callback in the module."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register_transformers(module)

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ... of the real one
        return getattr(self._loader, name)


class TransformersImportHook:
    """A ``sys.meta_path`` finder that only looks at transformers' integration module;
    for every other name it returns None at the cost of one string comparison."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> Any:
        if fullname != TRANSFORMERS_MODULE:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _RegisteringLoader(spec.loader)  # type: ignore[assignment]
        return spec

    def invalidate_caches(self) -> None:
        pass


def install_import_hook() -> None:
    """Register now if transformers' integrations are loaded, else when they are."""
    loaded = sys.modules.get(TRANSFORMERS_MODULE)
    if loaded is not None:
        register_transformers(loaded)
    if not any(isinstance(f, TransformersImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, TransformersImportHook())
