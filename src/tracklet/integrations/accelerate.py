"""Hugging Face Accelerate: ``TrackletTracker``, a ``GeneralTracker``.

``Accelerator(log_with="tracklet")`` works once ``tracklet`` is imported (the tracker is
registered with ``accelerate.tracking.register_tracker_class`` when accelerate loads its
tracking module); ``Accelerator(log_with=[TrackletTracker("project")])`` always works.
``init_trackers(project, config=..., init_kwargs={"tracklet": {...}})``, ``log`` and
``end_training`` map to ``tracklet.init``, ``run.log`` and ``run.finish`` on the main
process only.
"""

from __future__ import annotations

from typing import Any

from accelerate.tracking import GeneralTracker, on_main_process  # type: ignore[import-untyped]

import tracklet

NAME = "tracklet"


class TrackletTracker(GeneralTracker):  # type: ignore[misc]
    """Logs an Accelerate run to Tracklet. ``kwargs`` go to ``tracklet.init`` (``name``,
    ``tags``, ``dir``, ``mode``, ``settings`` ...)."""

    name = NAME
    requires_logging_directory = False
    main_process_only = True

    def __init__(self, project_name: str, **kwargs: Any) -> None:
        super().__init__()
        self.project_name = project_name
        self.init_kwargs = kwargs
        self.run: tracklet.Run | None = None

    @on_main_process  # type: ignore[untyped-decorator]
    def start(self) -> None:
        if self.run is None:
            self.run = tracklet.init(project=self.project_name, reinit="finish_previous",
                                     **self.init_kwargs)

    @property
    def tracker(self) -> tracklet.Run | None:
        return self.run

    @on_main_process  # type: ignore[untyped-decorator]
    def store_init_configuration(self, values: dict[str, Any]) -> None:
        if self.run is not None:
            self.run.config.update(values, allow_val_change=True)

    @on_main_process  # type: ignore[untyped-decorator]
    def log(self, values: dict[str, Any], step: int | None = None, **kwargs: Any) -> None:
        if self.run is not None:
            self.run.log(values, step=step, **kwargs)

    @on_main_process  # type: ignore[untyped-decorator]
    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None


def register() -> None:
    """Make ``log_with="tracklet"`` work (accelerate >= 1.15; older ones take instances)."""
    from accelerate import tracking  # type: ignore[import-untyped]

    registry = getattr(tracking, "LOGGER_TYPE_TO_CLASS", {})
    if registry.get(NAME) is TrackletTracker:
        return
    register_class = getattr(tracking, "register_tracker_class", None)
    if register_class is not None:
        register_class(TrackletTracker)
