"""Hugging Face Transformers: ``TrackletCallback`` for ``Trainer``.

``TrainingArguments(report_to="tracklet")`` uses it once ``tracklet`` is imported (see
``tracklet.integrations``); ``Trainer(callbacks=[TrackletCallback()])`` always works.

What it logs (on the main process only): the training arguments and the model config as
config (plus ``model/num_parameters``), every ``on_log`` as ``train/*``, ``eval/*`` or
``test/*`` with ``train/global_step`` as the x-axis, the run totals (``train_runtime``,
``train_loss``, ...) in the summary. Environment: ``TRACKLET_PROJECT`` (default
``huggingface``), ``TRACKLET_LOG_MODEL`` = ``end`` | ``checkpoint`` | ``false`` and
``TRACKLET_WATCH`` = ``gradients`` | ``parameters`` | ``all`` | ``false`` (each falling back
to its ``WANDB_`` twin). ``trainer.hyperparameter_search`` gets one run per trial.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from transformers import TrainerCallback

import tracklet
from tracklet.integrations._common import env, log_model_artifact, scalars, warn_once

SINGLE_VALUES = ("train_runtime", "train_samples_per_second", "train_steps_per_second",
                 "train_loss", "total_flos")
LOG_MODEL_CHOICES = ("end", "checkpoint", "false")
WATCH_CHOICES = ("gradients", "parameters", "all", "false")


def rewrite_logs(logs: dict[str, Any]) -> dict[str, Any]:
    """``eval_loss`` -> ``eval/loss``, ``test_x`` -> ``test/x``, anything else ``train/``."""
    out: dict[str, Any] = {}
    for key, value in logs.items():
        if key.startswith("eval_"):
            out["eval/" + key[5:]] = value
        elif key.startswith("test_"):
            out["test/" + key[5:]] = value
        else:
            out["train/" + key] = value
    return out


def _log_model_setting() -> str:
    raw = env("LOG_MODEL", "false").strip().lower()
    raw = {"true": "end", "1": "end", "0": "false", "": "false", "none": "false"}.get(raw, raw)
    if raw not in LOG_MODEL_CHOICES:
        raise ValueError(f"TRACKLET_LOG_MODEL={raw!r}: use one of "
                         f"{', '.join(LOG_MODEL_CHOICES)}")
    return raw


class TrackletCallback(TrainerCallback):
    """A ``TrainerCallback`` that logs to Tracklet (shaped like transformers'
    ``WandbCallback``)."""

    def __init__(self) -> None:
        self._initialized = False
        self._run: tracklet.Run | None = None
        self._own_run = False
        self._log_model = _log_model_setting()
        watch = env("WATCH", "false").strip().lower() or "false"
        if watch not in WATCH_CHOICES:
            raise ValueError(f"TRACKLET_WATCH={watch!r}: use one of {', '.join(WATCH_CHOICES)}")
        self._watch = watch

    # -- setup -----------------------------------------------------------------------------

    def setup(self, args: Any, state: Any, model: Any, **kwargs: Any) -> None:
        """Start (or join) the run and record the configuration; main process only."""
        self._initialized = True
        if not state.is_world_process_zero:
            return
        combined: dict[str, Any] = dict(args.to_dict())
        config = getattr(model, "config", None)
        if config is not None:
            model_config = config if isinstance(config, dict) else config.to_dict()
            combined = {**model_config, **combined}
        init_args: dict[str, Any] = {}
        if state.trial_name is not None:
            init_args["name"] = state.trial_name
            init_args["group"] = args.run_name or args.output_dir
        elif args.run_name is not None:
            init_args["name"] = args.run_name
        run = tracklet.run
        if run is None:
            project = (os.environ.get("TRACKLET_PROJECT") or os.environ.get("WANDB_PROJECT")
                       or "huggingface")
            run = tracklet.init(project=project, **init_args)
            self._own_run = True
        self._run = run
        run.config.update(combined, allow_val_change=True)
        run.define_metric("train/global_step")
        run.define_metric("*", step_metric="train/global_step", step_sync=True)
        if self._watch != "false" and model is not None:
            run.watch(model, log=self._watch, log_freq=max(100, state.logging_steps or 0))
        num_parameters = getattr(model, "num_parameters", None)
        if callable(num_parameters):
            run.config.update({"model/num_parameters": num_parameters()},
                              allow_val_change=True)

    def _active(self, state: Any) -> tracklet.Run | None:
        """The run to log to on this process, or None (another rank, or finished)."""
        if not state.is_world_process_zero:
            return None
        run = self._run
        if run is None or run is not tracklet.run:
            return tracklet.run
        return run

    # -- events ----------------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       **kwargs: Any) -> None:
        if state.is_hyper_param_search:  # one run per trial
            if self._own_run and self._run is not None:
                self._run.finish()
            self._run, self._own_run, self._initialized = None, False, False
            args.run_name = None
        if not self._initialized:
            self.setup(args, state, model, **kwargs)

    def on_log(self, args: Any, state: Any, control: Any, model: Any = None,
               logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not self._initialized:
            self.setup(args, state, model)
        run = self._active(state)
        if run is None or not logs:
            return
        try:
            for key in SINGLE_VALUES:
                if key in logs:
                    run.summary[key] = logs[key]
            rest = {k: v for k, v in logs.items() if k not in SINGLE_VALUES}
            values = scalars(rewrite_logs(rest))
            run.log({**values, "train/global_step": state.global_step})
        except Exception as exc:  # never stop training for a metric
            warn_once("transformers:log", f"TrackletCallback could not log {logs!r}: {exc}")

    def on_predict(self, args: Any, state: Any, control: Any, metrics: dict[str, Any],
                   **kwargs: Any) -> None:
        if not self._initialized:
            self.setup(args, state, kwargs.get("model"))
        run = self._active(state)
        if run is not None and metrics:
            run.log(scalars(rewrite_logs(metrics)))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        run = self._active(state)
        if self._log_model != "checkpoint" or run is None:
            return
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        metadata = self._metadata(run)
        log_model_artifact(run, self._model_name(args, run), folder, metadata,
                         [f"epoch_{round(state.epoch or 0, 2)}",
                          f"checkpoint_global_step_{state.global_step}"])

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None,
                     processing_class: Any = None, **kwargs: Any) -> None:
        run = self._active(state)
        if self._log_model != "end" or run is None or model is None:
            return
        with tempfile.TemporaryDirectory() as folder:
            try:
                model.save_pretrained(folder)
                if processing_class is not None and hasattr(processing_class,
                                                            "save_pretrained"):
                    processing_class.save_pretrained(folder)
            except Exception as exc:
                warn_once("transformers:save", f"could not save the model to log it: {exc!r}")
                return
            log_model_artifact(run, self._model_name(args, run), folder,
                             {**self._metadata(run), "final_model": True}, ["final_model"])

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _model_name(args: Any, run: tracklet.Run) -> str:
        if args.run_name is None or args.run_name == args.output_dir:
            return f"model-{run.id}"
        return f"model-{run.name}"

    @staticmethod
    def _metadata(run: tracklet.Run) -> dict[str, Any]:
        summary = {k: v for k, v in run.summary.as_dict().items() if not k.startswith("_")}
        meta = scalars(summary)
        meta["model/num_parameters"] = run.config.get("model/num_parameters")
        return meta
