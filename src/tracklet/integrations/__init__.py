"""Framework integrations: Transformers, Accelerate, Lightning, Keras.

Each lives in its own module and imports its framework only when used. ``import
tracklet`` installs one cheap import hook (``install_import_hook``) so that
``TrainingArguments(report_to="tracklet")`` and ``Accelerator(log_with="tracklet")``
work: when transformers loads ``transformers.integrations.integration_utils`` (or if it
already has), Tracklet's callback is added to its ``INTEGRATION_TO_CALLBACK`` table; when
accelerate loads ``accelerate.tracking``, ``TrackletTracker`` is registered with
``register_tracker_class``. Nothing else is touched.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

TRANSFORMERS_MODULE = "transformers.integrations.integration_utils"
ACCELERATE_MODULE = "accelerate.tracking"
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


def register_accelerate(module: ModuleType) -> None:
    """Register ``log_with="tracklet"`` with accelerate (never fails its import)."""
    if not hasattr(module, "GeneralTracker"):
        return
    try:
        from tracklet.integrations.accelerate import register

        register()
    except Exception as exc:
        from tracklet.sdk.termlog import termwarn

        termwarn(f"could not register log_with='tracklet' with accelerate: {exc!r}; pass "
                 "log_with=[tracklet.integrations.accelerate.TrackletTracker(project)]")


_REGISTER = {TRANSFORMERS_MODULE: register_transformers, ACCELERATE_MODULE: register_accelerate}


class _RegisteringLoader:
    """Runs the real loader, then registers Tracklet's callback in the module."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _REGISTER[module.__name__](module)

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ... of the real one
        return getattr(self._loader, name)


class IntegrationImportHook:
    """A ``sys.meta_path`` finder that only looks at two modules (transformers'
    integrations, accelerate's trackers); for every other name it returns None at the cost
    of one dict lookup."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> Any:
        if fullname not in _REGISTER:
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
    """Register now where transformers/accelerate are loaded, else when they are."""
    for name, register in _REGISTER.items():
        loaded = sys.modules.get(name)
        if loaded is not None:
            register(loaded)
    if not any(isinstance(f, IntegrationImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, IntegrationImportHook())
