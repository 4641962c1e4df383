"""Keras 3: ``TrackletCallback`` for ``model.fit`` (any backend; tested on torch).

Shaped like W&B's ``WandbMetricsLogger``: after every epoch, the epoch's metrics as
``epoch/<name>`` with ``epoch/epoch`` as their x-axis (plus ``epoch/learning_rate``);
with ``log_freq="batch"`` (or an int N: every N batches), batch metrics as
``batch/<name>`` with ``batch/batch_step`` as their x-axis. Uses the current run, or
starts one with ``init_kwargs`` (``tracklet.init(**init_kwargs)``) when there is none.
"""

from __future__ import annotations

from typing import Any, Literal

import keras  # type: ignore[import-untyped]

import tracklet
from tracklet.integrations._common import warn_once


class TrackletCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Log ``model.fit`` metrics to Tracklet."""

    def __init__(self, log_freq: Literal["epoch", "batch"] | int = "epoch",
                 initial_global_step: int = 0, **init_kwargs: Any) -> None:
        super().__init__()
        if log_freq == "batch":
            log_freq = 1
        if log_freq != "epoch" and (isinstance(log_freq, bool) or not isinstance(log_freq, int)
                                    or log_freq < 1):
            raise ValueError(f"log_freq must be 'epoch', 'batch' or a positive int, got "
                             f"{log_freq!r}")
        self.log_freq: int | None = None if log_freq == "epoch" else int(log_freq)
        self.global_step = initial_global_step
        self._init_kwargs = init_kwargs
        self._run: tracklet.Run | None = None

    def _current(self) -> tracklet.Run:
        if self._run is None or self._run is not tracklet.run:
            run = tracklet.run
            if run is None:
                run = tracklet.init(**self._init_kwargs)
            run.define_metric("epoch/epoch")
            run.define_metric("epoch/*", step_metric="epoch/epoch")
            if self.log_freq is not None:
                run.define_metric("batch/batch_step")
                run.define_metric("batch/*", step_metric="batch/batch_step")
            self._run = run
        return self._run

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._current()

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            return None
        try:
            return float(rate)  # a Variable (float() avoids numpy's copy= deprecation)
        except Exception:  # a schedule object, or a backend without numpy conversion
            return None

    def _log(self, values: dict[str, Any]) -> None:
        try:
            self._current().log(values)
        except Exception as exc:  # never stop training for a metric
            warn_once("keras:log", f"TrackletCallback could not log: {exc}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        values["epoch/epoch"] = epoch
        rate = self._learning_rate()
        if rate is not None:
            values["epoch/learning_rate"] = rate
        self._log(values)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.global_step += 1
        if self.log_freq is None or batch % self.log_freq:
            return
        values = {f"batch/{k}": v for k, v in (logs or {}).items()}
        values["batch/batch_step"] = self.global_step
        self._log(values)
