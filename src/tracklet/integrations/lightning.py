"""PyTorch Lightning: ``TrackletLogger``, a Lightning ``Logger`` shaped like ``WandbLogger``.

``Trainer(logger=TrackletLogger(project="p"))`` logs hyperparameters as config, metrics with
``trainer/global_step`` as their x-axis, and with ``log_model=True`` (or ``"all"``) the
checkpoints of ``ModelCheckpoint`` as ``model`` artifacts (aliases ``latest`` and
``best``). ``TrackletLogger(id=..., project=...)`` resumes that run (``resume="allow"``).
Everything happens on global rank 0 only.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from lightning_fabric.loggers.logger import rank_zero_experiment
from lightning_fabric.utilities.logger import (
    _add_prefix,
    _convert_json_serializable,
    _convert_params,
    _sanitize_callable_params,
)
from pytorch_lightning.loggers.logger import Logger
from pytorch_lightning.loggers.utilities import _scan_checkpoints
from pytorch_lightning.utilities import rank_zero_only

import tracklet
from tracklet.integrations._common import log_model_artifact
from tracklet.sdk.termlog import termwarn

CHECKPOINT_FIELDS = ("monitor", "mode", "save_last", "save_top_k", "save_weights_only",
                     "_every_n_train_steps")


class TrackletLogger(Logger):
    """Log a Lightning run to Tracklet. Extra keyword arguments go to ``tracklet.init``."""

    LOGGER_JOIN_CHAR = "-"

    def __init__(self, name: str | None = None, save_dir: str | os.PathLike[str] | None = None,
                 version: str | None = None, offline: bool = False,
                 dir: str | os.PathLike[str] | None = None, id: str | None = None,
                 project: str | None = None, log_model: Literal["all"] | bool = False,
                 experiment: tracklet.Run | None = None, prefix: str = "",
                 checkpoint_name: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self._log_model = log_model
        self._prefix = prefix
        self._experiment = experiment
        self._logged_model_time: dict[str, float] = {}
        self._checkpoint_callbacks: dict[int, Any] = {}
        self._checkpoint_name = checkpoint_name
        folder = save_dir if save_dir is not None else dir
        self._save_dir = None if folder is None else os.fspath(folder)
        self._project = (project or os.environ.get("TRACKLET_PROJECT")
                         or os.environ.get("WANDB_PROJECT") or "lightning_logs")
        self._name = name
        self._id = version or id
        self._init: dict[str, Any] = {"project": self._project, "name": name, "id": self._id,
                                      "dir": self._save_dir,
                                      "mode": "offline" if offline else None, **kwargs}
        if self._id is not None:
            self._init.setdefault("resume", "allow")

    @property
    @rank_zero_experiment
    def experiment(self) -> tracklet.Run:
        """The Tracklet run (started on first use). Other ranks get a no-op object."""
        if self._experiment is None:
            if tracklet.run is not None:
                termwarn("a Tracklet run is already active: TrackletLogger logs to it "
                               "(call tracklet.finish() first for a new run)")
                self._experiment = tracklet.run
            else:
                self._experiment = tracklet.init(
                    **{k: v for k, v in self._init.items() if v is not None})
                self._experiment.define_metric("trainer/global_step")
                self._experiment.define_metric("*", step_metric="trainer/global_step",
                                               step_sync=True)
        return self._experiment

    def watch(self, model: Any, log: str | None = "gradients", log_freq: int = 100,
              log_graph: bool = True) -> None:
        self.experiment.watch(model, log=log, log_freq=log_freq, log_graph=log_graph)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any,
                        **kwargs: Any) -> None:
        params = _convert_params(params)
        params = _sanitize_callable_params(params)
        params = _convert_json_serializable(params)
        self.experiment.config.update(params, allow_val_change=True)

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        values: dict[str, Any] = dict(_add_prefix(dict(metrics), self._prefix,
                                                  self.LOGGER_JOIN_CHAR))
        if step is not None:
            values["trainer/global_step"] = step
        self.experiment.log(values)

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    @property
    def name(self) -> str | None:
        """The project (as ``WandbLogger.name``); the run's name is ``experiment.name``."""
        return self._project

    @property
    def version(self) -> str | None:
        """The run id."""
        return self._experiment.id if self._experiment is not None else self._id

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        if getattr(rank_zero_only, "rank", 0) != 0:
            return  # checkpoints are logged by global rank 0
        if self._log_model == "all" or (self._log_model is True
                                        and checkpoint_callback.save_top_k == -1):
            self._log_checkpoints(checkpoint_callback)
        elif self._log_model is True:
            self._checkpoint_callbacks[id(checkpoint_callback)] = checkpoint_callback

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if status != "success" or self._experiment is None:
            return  # as WandbLogger: checkpoints are logged only after a success
        for checkpoint_callback in self._checkpoint_callbacks.values():
            self._log_checkpoints(checkpoint_callback)

    def _log_checkpoints(self, checkpoint_callback: Any) -> None:
        for mtime, path, score, _tag in _scan_checkpoints(checkpoint_callback,
                                                          self._logged_model_time):
            metadata = {
                "score": score.item() if hasattr(score, "item") else score,
                "original_filename": Path(path).name,
                type(checkpoint_callback).__name__: {
                    k: getattr(checkpoint_callback, k) for k in CHECKPOINT_FIELDS
                    if hasattr(checkpoint_callback, k)},
            }
            name = self._checkpoint_name or f"model-{self.experiment.id}"
            aliases = (["latest", "best"] if path == checkpoint_callback.best_model_path
                       else ["latest"])
            log_model_artifact(self.experiment, name, path, metadata, aliases,
                               file_name="model.ckpt")
            self._logged_model_time[path] = mtime
