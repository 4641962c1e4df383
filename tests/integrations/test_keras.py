"""Keras 3 (torch backend) -> Tracklet: TrackletCallback in model.fit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from integration_helpers import history, need, one_run

import tracklet

os.environ.setdefault("KERAS_BACKEND", "torch")  # read once, when keras is imported
need("torch")
keras = need("keras")


def fit(callback: object, epochs: int = 2) -> tuple[Any, Any]:
    import numpy as np

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 3)), rng.random((32, 1))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    result = model.fit(x, y, epochs=epochs, batch_size=8, verbose=0,
                       validation_data=(x[:8], y[:8]), callbacks=[callback])
    return model, result


def test_epoch_and_batch_metrics(clean_session: Path) -> None:
    from tracklet.integrations.keras import TrackletCallback

    assert keras.backend.backend() == "torch"
    _, result = fit(TrackletCallback(log_freq="batch", project="keras-proj", name="k"))
    tracklet.finish()

    run = one_run(clean_session, "keras-proj")
    assert (run.name, run.state) == ("k", "finished")
    rows = history(run, clean_session)
    epochs = [r for r in rows if "epoch/loss" in r]
    assert [r["epoch/epoch"] for r in epochs] == [0, 1]
    fitted = {k: [float(v) for v in vs] for k, vs in result.history.items()}
    assert [r["epoch/loss"] for r in epochs] == pytest.approx(fitted["loss"])
    assert [r["epoch/val_mae"] for r in epochs] == pytest.approx(fitted["val_mae"])
    assert [r["epoch/learning_rate"] for r in epochs] == pytest.approx([0.05, 0.05])
    batches = [r for r in rows if "batch/loss" in r]
    assert [r["batch/batch_step"] for r in batches] == list(range(1, 9))  # 4 per epoch
    defs = {d["name"]: d["step_metric"] for d in run.metric_defs}
    assert defs["epoch/*"] == "epoch/epoch"
    assert defs["batch/*"] == "batch/batch_step"


def test_epoch_only_into_the_current_run(clean_session: Path) -> None:
    from tracklet.integrations.keras import TrackletCallback

    tracklet.init(project="keras-current", config={"units": 4})
    fit(TrackletCallback(), epochs=3)
    tracklet.finish()
    run = one_run(clean_session, "keras-current")
    rows = history(run, clean_session)
    assert [r["epoch/epoch"] for r in rows] == [0, 1, 2]
    assert not any(k.startswith("batch/") for r in rows for k in r)
    assert run.config == {"units": 4}


def test_bad_log_freq_says_what_to_pass() -> None:
    from tracklet.integrations.keras import TrackletCallback

    with pytest.raises(ValueError, match="log_freq must be 'epoch', 'batch' or a positive"):
        TrackletCallback(log_freq=0)
