"""Transformers Trainer -> Tracklet, with a tiny random BERT, offline, on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from integration_helpers import history, need, one_run, runs_of

import tracklet

need("torch")
need("transformers")
need("datasets")

import hf_tiny  # noqa: E402


def make_trainer(tmp_path: Path, *, epochs: int = 2, callbacks: list[Any] | None = None,
                 report_to: str | list[str] = "tracklet", model_init: Any = None,
                 **args: Any) -> Any:
    from transformers import Trainer, TrainingArguments

    tok = hf_tiny.tokenizer()
    data = hf_tiny.dataset(tok, rows=64)
    options = dict(output_dir=str(tmp_path / "out"), report_to=report_to,
                   num_train_epochs=epochs, per_device_train_batch_size=8,
                   per_device_eval_batch_size=16, logging_steps=2, eval_strategy="epoch",
                   save_strategy="no", use_cpu=True, seed=0, disable_tqdm=True,
                   learning_rate=1e-3)
    targs = TrainingArguments(**{**options, **args})
    return Trainer(model=None if model_init else hf_tiny.model(), model_init=model_init,
                   args=targs, train_dataset=data, eval_dataset=data, processing_class=tok,
                   compute_metrics=hf_tiny.accuracy, callbacks=callbacks)


def test_report_to_tracklet_logs_train_eval_config_and_summary(tmp_path: Path,
                                                                clean_session: Path) -> None:
    trainer = make_trainer(tmp_path, run_name="tiny-bert")
    trainer.train()
    tracklet.finish()

    run = one_run(clean_session, "huggingface")
    assert (run.name, run.state) == ("tiny-bert", "finished")
    rows = history(run, clean_session)
    train = [r for r in rows if "train/loss" in r]
    # 64 rows / batch 8 = 8 steps per epoch, 2 epochs, a log every 2 steps
    assert [r["train/global_step"] for r in train] == [2, 4, 6, 8, 10, 12, 14, 16]
    evals = [r for r in rows if "eval/loss" in r]
    assert [r["train/global_step"] for r in evals] == [8, 16]
    assert all(0.0 <= r["eval/accuracy"] <= 1.0 for r in evals)
    # configuration: the training arguments, the model config, the parameter count
    assert run.config["learning_rate"] == 1e-3
    assert run.config["num_train_epochs"] == 2
    assert run.config["hidden_size"] == 32
    assert run.config["model/num_parameters"] == hf_tiny.model().num_parameters()
    # x-axis and summary
    defs = {d["name"]: d for d in run.metric_defs}
    assert defs["*"]["step_metric"] == "train/global_step"
    assert run.summary["train_runtime"] > 0
    assert run.summary["train/global_step"] == 16
    assert run.summary["eval/loss"] == evals[-1]["eval/loss"]


def test_explicit_callback_and_project_from_env(tmp_path: Path, clean_session: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklet.integrations.transformers import TrackletCallback

    monkeypatch.setenv("TRACKLET_PROJECT", "bert-runs")
    monkeypatch.setenv("WANDB_PROJECT", "not-this-one")
    trainer = make_trainer(tmp_path, epochs=1, report_to="none",
                           callbacks=[TrackletCallback()])
    trainer.train()
    metrics = trainer.predict(trainer.eval_dataset).metrics
    tracklet.finish()

    assert runs_of(clean_session, "not-this-one") == []
    run = one_run(clean_session, "bert-runs")
    rows = history(run, clean_session)
    assert [r["train/global_step"] for r in rows if "train/loss" in r] == [2, 4, 6, 8]
    test_rows = [r for r in rows if "test/loss" in r]
    assert len(test_rows) == 1
    assert test_rows[0]["test/loss"] == pytest.approx(metrics["test_loss"])


def test_only_the_main_process_logs(tmp_path: Path, clean_session: Path) -> None:
    from transformers import TrainerControl, TrainerState

    from tracklet.integrations.transformers import TrackletCallback

    trainer = make_trainer(tmp_path, epochs=1, report_to="none")
    state = TrainerState(is_world_process_zero=False)  # what rank 1..n see
    callback = TrackletCallback()
    callback.on_train_begin(trainer.args, state, TrainerControl(), model=trainer.model)
    callback.on_log(trainer.args, state, TrainerControl(), logs={"loss": 1.0})
    assert tracklet.run is None
    assert not (clean_session / "tracklet.db").exists()


def test_report_to_is_registered_lazily_and_import_stays_cheap() -> None:
    import subprocess
    import sys

    code = ("import sys, tracklet\n"
            "assert 'transformers' not in sys.modules\n"
            "from transformers.integrations import integration_utils as u\n"
            "print(u.INTEGRATION_TO_CALLBACK['tracklet'].__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "tracklet.integrations.transformers"
    # imported after transformers: registered at once
    code = ("from transformers.integrations import integration_utils as u\n"
            "import tracklet\n"
            "print('tracklet' in u.INTEGRATION_TO_CALLBACK)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "True", out.stderr


@pytest.mark.slow
def test_hyperparameter_search_gives_one_run_per_trial(tmp_path: Path,
                                                       clean_session: Path) -> None:
    need("optuna")

    trainer = make_trainer(tmp_path, epochs=1, model_init=lambda trial=None: hf_tiny.model())

    def space(trial: Any) -> dict[str, Any]:
        return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)}

    best = trainer.hyperparameter_search(direction="minimize", backend="optuna",
                                         hp_space=space, n_trials=3)
    tracklet.finish()
    runs = runs_of(clean_session, "huggingface")
    assert len(runs) == 3
    assert {r.state for r in runs} == {"finished"}
    rates = sorted(r.config["learning_rate"] for r in runs)
    assert len(set(rates)) == 3
    assert best.hyperparameters["learning_rate"] in rates
    for run in runs:
        assert [r["train/global_step"] for r in history(run, clean_session)
                if "train/loss" in r] == [2, 4, 6, 8]


def test_log_model_end_reloads_and_watch_hooks_the_model(
        tmp_path: Path, clean_session: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from transformers import BertForSequenceClassification, TrainerCallback

    monkeypatch.setenv("TRACKLET_LOG_MODEL", "end")
    monkeypatch.setenv("WANDB_WATCH", "gradients")  # the W&B name works too
    seen: list[int] = []

    class CountHooks(TrainerCallback):  # type: ignore[misc]
        def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None,
                         **kwargs: Any) -> None:
            seen.append(sum(len(p._backward_hooks or {}) for p in model.parameters()))

    trainer = make_trainer(tmp_path, epochs=1, run_name="with-model",
                           callbacks=[CountHooks()])
    trainer.train()
    tracklet.finish()
    # watch() hooked every parameter (histograms: see test_watch_and_media); finish unhooks
    assert seen == [len(list(trainer.model.parameters()))]
    assert sum(len(p._backward_hooks or {}) for p in trainer.model.parameters()) == 0

    with tracklet.Api(clean_session) as api:
        model_artifact = api.artifact("huggingface/model-with-model:final_model")
        folder = Path(model_artifact.download(tmp_path / "dl"))
    assert model_artifact.type == "model"
    assert model_artifact.metadata["final_model"] is True
    reloaded = BertForSequenceClassification.from_pretrained(folder)
    for (name, mine), (_, theirs) in zip(trainer.model.state_dict().items(),
                                         reloaded.state_dict().items()):
        assert torch.equal(mine, theirs), name


def test_log_model_checkpoint_logs_each_save(tmp_path: Path, clean_session: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLET_LOG_MODEL", "checkpoint")
    trainer = make_trainer(tmp_path, epochs=1, save_strategy="steps", save_steps=4,
                           eval_strategy="no")
    trainer.train()
    tracklet.finish()
    run = one_run(clean_session, "huggingface")
    with tracklet.Api(clean_session) as api:
        versions = api.artifact_versions("model", f"huggingface/model-{run.id}")
        assert len(versions) == 2
        second = api.artifact(f"huggingface/model-{run.id}:checkpoint_global_step_8")
        names = {f.path for f in second.files()}
    assert "model.safetensors" in names
    assert "trainer_state.json" in names


def test_bad_log_model_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklet.integrations.transformers import TrackletCallback

    monkeypatch.setenv("TRACKLET_LOG_MODEL", "sometimes")
    with pytest.raises(ValueError, match="TRACKLET_LOG_MODEL='sometimes': use one of end"):
        TrackletCallback()
