"""A run through the public SDK, checked by reading back what the store holds (tracklet.Api)."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tracklet
from assertions import same
from tracklet import errors
from tracklet.sdk.api import ApiRun

QUIET = {"system_metrics": False, "console_capture": False}
nan, inf = math.nan, math.inf


@pytest.fixture(autouse=True)
def clean_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("TRACKLET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # metadata collection looks at the cwd's git repository
    while tracklet.run is not None:
        tracklet.finish()
    yield
    while tracklet.run is not None:
        tracklet.finish()


@pytest.fixture
def leaks_fail_here() -> Iterator[None]:
    """Collect garbage at teardown, so a file a broken writer left open fails this test."""
    yield
    gc.collect()


def start(tmp_path: Path, **kwargs: Any) -> tracklet.Run:
    kwargs.setdefault("project", "proj")
    kwargs.setdefault("settings", QUIET)
    return tracklet.init(dir=tmp_path, **kwargs)


def stored(tmp_path: Path, path: str) -> tuple[ApiRun, list[dict[str, Any]]]:
    """The stored run (its attributes) and its history rows without the time columns."""
    with tracklet.Api(tmp_path) as api:
        run = api.run(path)
        rows = [{k: v for k, v in row.items() if k not in ("_timestamp", "_runtime")}
                for row in run.scan_history()]
    return run, rows


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)


# -- logging and reading back -------------------------------------------------------------------


def test_points_read_back_exactly_as_logged(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.log({"loss": 0.5, "acc": 1, "flag": True, "train": {"lr": 1e-3, "deep": {"x": 2}}})
    tracklet.log({"loss": nan, "big": inf, "small": -inf, "f32": np.float32(0.1),
                  "i64": np.int64(-7), "zero_d": np.array(2.25), "none": None})
    tracklet.log({"loss": 1e-300, "tiny": 5e-324, "huge": 1.7976931348623157e308})
    tracklet.finish()

    info, rows = stored(tmp_path, run.path)
    assert info.state == "finished"
    assert same(rows, [
        {"_step": 0, "loss": 0.5, "acc": 1.0, "flag": 1.0, "train/lr": 1e-3, "train/deep/x": 2.0},
        {"_step": 1, "loss": nan, "big": inf, "small": -inf, "f32": float(np.float32(0.1)),
         "i64": -7.0, "zero_d": 2.25},
        {"_step": 2, "loss": 1e-300, "tiny": 5e-324, "huge": 1.7976931348623157e308},
    ])


def test_history_rows_carry_time_columns(tmp_path: Path) -> None:
    before = time.time()
    run = start(tmp_path)
    tracklet.log({"x": 1.0})
    tracklet.finish()
    with tracklet.Api(tmp_path) as api:
        (row,) = list(api.run(run.path).scan_history())
    assert before - 1 <= row["_timestamp"] <= time.time() + 1
    assert 0 <= row["_runtime"] < 60


def test_steps_commit_false_and_explicit_steps(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.log({"a": 1.0}, commit=False)
    tracklet.log({"b": 2.0})
    tracklet.log({"c": 3.0}, step=10)
    tracklet.log({"d": 4.0})
    tracklet.log({"e": 5.0}, step=3)  # backwards: kept
    tracklet.log({"f": 6.0}, commit=False)  # pending at finish: flushed
    assert run.step == 4
    tracklet.finish()
    _, rows = stored(tmp_path, run.path)
    assert rows == [{"_step": 0, "a": 1.0, "b": 2.0}, {"_step": 3, "e": 5.0},
                    {"_step": 4, "f": 6.0}, {"_step": 10, "c": 3.0}, {"_step": 11, "d": 4.0}]


def test_same_step_logged_twice_keeps_the_last_value(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.log({"loss": 1.0, "acc": 0.1}, step=5)
    tracklet.log({"loss": 2.0}, step=5)
    tracklet.finish()
    _, rows = stored(tmp_path, run.path)
    assert rows == [{"_step": 5, "loss": 2.0, "acc": 0.1}]


def test_log_after_finish_raises(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.log({"x": 1.0})
    run.finish()
    with pytest.raises(errors.RunFinishedError, match=r"init\(\)"):
        run.log({"x": 2.0})
    with pytest.raises(errors.NotInitializedError):
        tracklet.log({"x": 2.0})
    assert tracklet.run is None
    run.finish()  # twice is harmless
    _, rows = stored(tmp_path, run.path)
    assert rows == [{"_step": 0, "x": 1.0}]


@pytest.mark.usefixtures("leaks_fail_here")
def test_very_large_ints_are_stored_and_do_not_stop_logging(tmp_path: Path) -> None:
    path = start(tmp_path).path  # no reference to the run survives a failure here
    tracklet.log({"flops": 10**21, "loss": 1.0})
    tracklet.log({"loss": 0.5})
    tracklet.finish()
    _, rows = stored(tmp_path, path)
    assert rows == [{"_step": 0, "flops": 1e21, "loss": 1.0}, {"_step": 1, "loss": 0.5}]


@pytest.mark.usefixtures("leaks_fail_here")
def test_int_too_large_for_a_float_is_refused_on_the_caller_thread(tmp_path: Path) -> None:
    path = start(tmp_path).path  # no reference to the run survives a failure here
    try:
        with pytest.raises((TypeError, ValueError), match="'n'"):
            tracklet.log({"n": 10**400})
    finally:
        tracklet.log({"loss": 0.5})
        tracklet.finish()
    _, rows = stored(tmp_path, path)
    assert rows == [{"_step": 0, "loss": 0.5}]


# -- bad inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "kwargs", "error", "fragment"), [
    ({"loss": [1, 2]}, {}, TypeError, "'loss'.*list"),
    ({"loss": "0.5"}, {}, TypeError, "'loss'.*str"),
    ({"v": np.ones(3)}, {}, TypeError, r"'v'.*shape \(3,\)"),
    ({"ok": 1.0, "bad": {"inner": object()}}, {}, TypeError, "'bad/inner'"),
    ({" loss": 1.0}, {}, ValueError, "whitespace"),
    ({"_step": 1.0}, {}, ValueError, "reserved"),
    ({"": 1.0}, {}, ValueError, "empty"),
    ({"a\nb": 1.0}, {}, ValueError, "control"),
    ({"k" * 300: 1.0}, {}, ValueError, "limit is 256"),
    ({1: 1.0}, {}, TypeError, "string"),
    ([("loss", 1.0)], {}, TypeError, "dict"),
    ({"loss": 1.0}, {"step": -1}, ValueError, "non-negative"),
    ({"loss": 1.0}, {"step": 1.5}, TypeError, "non-negative int"),
    ({"loss": 1.0}, {"step": True}, TypeError, "non-negative int"),
    ({"loss": 1.0}, {"step": "3"}, TypeError, "non-negative int"),
    ({"loss": 1.0}, {"step": 2**63}, ValueError, "too large"),
], ids=["list", "str", "array", "nested-object", "space", "reserved", "empty", "newline",
        "long-key", "int-key", "not-a-dict", "negative-step", "float-step", "bool-step",
        "str-step", "huge-step"])
def test_bad_log_calls_raise_and_store_nothing(tmp_path: Path, data: Any,
                                               kwargs: dict[str, Any], error: type[Exception],
                                               fragment: str) -> None:
    run = start(tmp_path)
    tracklet.log({"loss": 9.0})
    with pytest.raises(error, match=fragment):
        tracklet.log(data, **kwargs)
    assert run.step == 1
    tracklet.log({"loss": 8.0})
    tracklet.finish()
    info, rows = stored(tmp_path, run.path)
    assert rows == [{"_step": 0, "loss": 9.0}, {"_step": 1, "loss": 8.0}]
    assert info.summary == {"loss": 8.0}


def test_bad_config_and_summary_values_raise_and_change_nothing(tmp_path: Path) -> None:
    run = start(tmp_path, config={"lr": 0.1, "model": {"depth": 3}})
    with pytest.raises(ValueError, match=r"config\.desc.*limit"):
        run.config.update({"desc": "x" * 70_000})
    with pytest.raises(ValueError, match="limit"):
        run.config["model"] = {"card": "y" * 70_000}
    with pytest.raises(ValueError, match="whitespace"):
        run.config.update({"lr ": 0.2})
    with pytest.raises(ValueError, match="control"):
        run.config["a\tb"] = 1
    with pytest.raises(TypeError, match="config must be"):
        run.config.update(42)
    with pytest.raises(ValueError, match="reserved"):
        run.summary["_hidden"] = 1
    with pytest.raises(ValueError, match="limit"):
        run.summary["text"] = "z" * 70_000
    assert run.config.as_dict() == {"lr": 0.1, "model": {"depth": 3}}
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    assert info.config == {"lr": 0.1, "model": {"depth": 3}}
    assert info.summary == {}


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"notes": "n" * 70_000}, ValueError, "notes is 70000 characters"),
    ({"notes": 5}, TypeError, "notes must be a string"),
    ({"name": "x" * 300}, ValueError, "name is 300 characters"),
    ({"tags": "one-tag"}, TypeError, "list of strings"),
    ({"tags": ["t" * 100]}, ValueError, "tag is 100 characters"),
    ({"project": "my project"}, ValueError, "project 'my project' is not valid"),
    ({"id": "a/b"}, ValueError, "run id 'a/b' is not valid"),
    ({"mode": "online-ish"}, ValueError, "mode must be one of"),
    ({"resume": "sometimes", "id": "abcdefgh"}, ValueError, "resume must be one of"),
    ({"config": 3}, TypeError, "config must be"),
    ({"config": {"d": "x" * 70_000}}, ValueError, r"config\.d"),
    ({"settings": {"no_such_setting": 1}}, TypeError, "unknown setting"),
], ids=["long-notes", "int-notes", "long-name", "str-tags", "long-tag", "bad-project",
        "bad-id", "bad-mode", "bad-resume", "int-config", "long-config", "bad-setting"])
def test_bad_init_arguments_raise_and_leave_no_run(tmp_path: Path, kwargs: dict[str, Any],
                                                    error: type[Exception],
                                                    fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        start(tmp_path, **kwargs)
    assert tracklet.run is None
    assert list(tmp_path.rglob("*.tlog")) == []
    assert not (tmp_path / "tracklet.db").exists()


# -- config ----------------------------------------------------------------------------------


def test_config_access_update_and_persistence(tmp_path: Path) -> None:
    run = start(tmp_path, config={"lr": 0.1, "model": {"depth": 3}, "layers": (64, 32)})
    assert run.config.lr == 0.1
    assert run.config["model"] == {"depth": 3}
    assert tracklet.config.layers == [64, 32]
    assert "lr" in run.config and "nope" not in run.config
    with pytest.raises(AttributeError, match="nope"):
        run.config.nope  # noqa: B018
    with pytest.raises(KeyError):
        run.config["nope"]
    run.config.batch = 32
    run.config["epochs"] = 5
    tracklet.config.update({"seed": np.int64(7), "weights": np.array([0.5, 0.25])})
    run.config.update({"lr": 0.1})  # same value: allowed
    with pytest.raises(errors.UsageError, match="allow_val_change=True"):
        run.config.update({"lr": 0.2})
    with pytest.raises(errors.UsageError, match="allow_val_change"):
        run.config.lr = 0.3
    assert run.config.lr == 0.1
    run.config.update({"lr": 0.2, "model": {"depth": 4}}, allow_val_change=True)
    assert run.config.lr == 0.2
    expected = {"lr": 0.2, "model": {"depth": 4}, "layers": [64, 32], "batch": 32,
                "epochs": 5, "seed": 7, "weights": [0.5, 0.25]}
    assert run.config.as_dict() == expected
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    assert info.config == expected


def test_config_from_namespace_dataclass_and_key_filters(tmp_path: Path) -> None:
    @dataclasses.dataclass
    class Args:
        lr: float = 0.01
        name: str = "resnet"
        secret: str = "hide-me"

    run = start(tmp_path, config=Args(), config_exclude_keys=["secret"])
    run.config.update(argparse.Namespace(batch=16, workers=2))
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    assert info.config == {"lr": 0.01, "name": "resnet", "batch": 16, "workers": 2}

    run = start(tmp_path, config={"a": 1, "b": 2, "c": 3}, config_include_keys=["a", "c"])
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    assert info.config == {"a": 1, "c": 3}


# -- summary -----------------------------------------------------------------------------------


def test_summary_last_value_override_and_define_metric(tmp_path: Path) -> None:
    run = start(tmp_path)
    run.define_metric("eval/*", summary="min")
    for train, ev in [(3.0, 0.9), (2.0, 0.4), (1.0, 0.6)]:
        tracklet.log({"train/loss": train, "eval/loss": ev, "eval/acc": 1 - ev})
    assert run.summary["train/loss"] == 1.0
    assert run.summary["eval/loss"] == {"min": 0.4}
    assert tracklet.summary["eval/acc"] == {"min": pytest.approx(0.1)}
    run.summary["best_epoch"] = 1
    run.summary.update({"note": "ok"})
    run.summary["train/loss"] = 0.123  # the user's value wins over the computed one
    assert run.summary["train/loss"] == 0.123
    tracklet.log({"train/loss": 0.5})
    assert run.summary["train/loss"] == 0.123
    del run.summary["note"]
    with pytest.raises(KeyError, match="not set by hand"):
        del run.summary["eval/loss"]
    local = dict(run.summary)
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    expected = {"train/loss": 0.123, "eval/loss": {"min": 0.4},
                "eval/acc": {"min": pytest.approx(0.1)}, "best_epoch": 1}
    assert info.summary == expected
    assert local == expected


def test_define_metric_goal_best_and_none(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.define_metric("acc", summary="best,last", goal="maximize")
    tracklet.define_metric("debug/*", summary="none")
    for acc in (0.2, 0.9, 0.7):
        tracklet.log({"acc": acc, "debug/grad": acc * 10})
    assert dict(run.summary) == {"acc": {"best": 0.9, "last": 0.7}}
    with pytest.raises(ValueError, match="needs goal"):
        run.define_metric("x", summary="best")
    with pytest.raises(ValueError, match="'median' is not one of"):
        run.define_metric("x", summary="median")
    tracklet.finish()
    info, rows = stored(tmp_path, run.path)
    assert info.summary == {"acc": {"best": 0.9, "last": 0.7}}
    assert [r["debug/grad"] for r in rows] == [2.0, 9.0, 7.0]  # hidden from summary only


# -- states ------------------------------------------------------------------------------------


def test_context_manager_finishes(tmp_path: Path) -> None:
    with start(tmp_path) as run:
        tracklet.log({"x": 1.0})
    assert tracklet.run is None
    info, rows = stored(tmp_path, run.path)
    assert info.state == "finished"
    assert info.traceback is None
    assert info.finished_at is not None
    assert rows == [{"_step": 0, "x": 1.0}]


def test_exception_in_context_manager_marks_failed_with_traceback(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), start(tmp_path) as run:
        tracklet.log({"x": 1.0})
        _ = 1 / 0
    assert tracklet.run is None
    info, rows = stored(tmp_path, run.path)
    assert (info.state, info.exit_code) == ("failed", 1)
    assert "ZeroDivisionError: division by zero" in info.traceback
    assert "Traceback (most recent call last)" in info.traceback
    assert rows == [{"_step": 0, "x": 1.0}]


def test_keyboard_interrupt_marks_killed(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), start(tmp_path) as run:
        tracklet.log({"x": 1.0})
        raise KeyboardInterrupt
    info, rows = stored(tmp_path, run.path)
    assert info.state == "killed"
    assert rows == [{"_step": 0, "x": 1.0}]


def test_finish_with_exit_code_marks_failed(tmp_path: Path) -> None:
    run = start(tmp_path)
    tracklet.finish(exit_code=3)
    info, _ = stored(tmp_path, run.path)
    assert (info.state, info.exit_code) == ("failed", 3)


# -- modes ---------------------------------------------------------------------------------------


def test_offline_writes_only_the_run_log_and_sync_ships_it(tmp_path: Path) -> None:
    run = start(tmp_path, mode="offline", config={"lr": 0.1})
    assert run.offline
    tracklet.log({"loss": 1.0})
    tracklet.log({"loss": nan})
    tracklet.finish()
    assert not (tmp_path / "tracklet.db").exists()
    logs = list((tmp_path / "runs" / run.id).glob("*.tlog"))
    assert len(logs) == 1 and logs[0].stat().st_size > 0

    from tracklet.shipping.local import LocalShipper
    from tracklet.shipping.sync import sync_paths
    from tracklet.store.sql.engine import sqlite_url
    from tracklet.store.sql.store import SqlMetadataStore

    shipper = LocalShipper(SqlMetadataStore(sqlite_url(tmp_path / "tracklet.db")))
    try:
        report = sync_paths([tmp_path / "runs"], shipper)
    finally:
        shipper.close()
    assert report.problems == []
    info, rows = stored(tmp_path, run.path)
    assert (info.state, info.config) == ("finished", {"lr": 0.1})
    assert same(rows, [{"_step": 0, "loss": 1.0}, {"_step": 1, "loss": nan}])


def test_disabled_writes_nothing_and_log_is_a_no_op(tmp_path: Path) -> None:
    run = start(tmp_path, mode="disabled", config={"lr": 0.1})
    assert run.disabled
    assert tracklet.run is run
    tracklet.log({"loss": 1.0})
    tracklet.log({"loss": "not even checked"})
    run.config.epochs = 3
    run.summary["best"] = 1
    run.define_metric("eval/*", summary="min")
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
    tracklet.finish()
    assert tracklet.run is None
    assert list(tmp_path.iterdir()) == []


# -- resume and reinit ---------------------------------------------------------------------------


def test_resume_must_on_an_unknown_id_raises(tmp_path: Path) -> None:
    with pytest.raises(errors.NotFoundError, match="nope0001"):
        start(tmp_path, id="nope0001", resume="must")
    first = start(tmp_path)  # a store exists now, the id still does not
    first.finish()
    with pytest.raises(errors.NotFoundError, match="nope0001"):
        start(tmp_path, id="nope0001", resume="must")
    assert tracklet.run is None


def test_resume_must_needs_an_id(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match="id"):
        start(tmp_path, resume="must")


def test_resume_never_on_an_existing_id_raises(tmp_path: Path) -> None:
    run = start(tmp_path, id="taken001")
    tracklet.log({"x": 1.0})
    run.finish()
    with pytest.raises(errors.ConflictError, match="taken001"):
        start(tmp_path, id="taken001", resume="never")
    assert tracklet.run is None
    _, rows = stored(tmp_path, run.path)
    assert rows == [{"_step": 0, "x": 1.0}]


def test_resume_allow_continues_steps_config_and_summary(tmp_path: Path) -> None:
    first = start(tmp_path, id="resume01", name="my-run", config={"lr": 0.1})
    tracklet.log({"loss": 3.0, "acc": 0.1})
    tracklet.log({"loss": 2.0})
    first.finish()

    second = start(tmp_path, id="resume01", resume="allow")
    assert second.step == 2
    assert second.name == "my-run"
    assert second.config.as_dict() == {"lr": 0.1}
    assert second.summary["acc"] == 0.1
    tracklet.log({"loss": 1.0})
    second.config.update({"epochs": 2})
    second.finish()

    info, rows = stored(tmp_path, second.path)
    assert rows == [{"_step": 0, "loss": 3.0, "acc": 0.1}, {"_step": 1, "loss": 2.0},
                    {"_step": 2, "loss": 1.0}]
    assert info.config == {"lr": 0.1, "epochs": 2}
    assert (info.state, info.name) == ("finished", "my-run")
    assert info.summary == {"loss": 1.0, "acc": 0.1}
    with tracklet.Api(tmp_path) as api:
        assert [r.id for r in api.runs("proj")] == ["resume01"]


def test_reinit_finishes_the_previous_run(tmp_path: Path) -> None:
    first = start(tmp_path)
    tracklet.log({"x": 1.0})
    same_run = start(tmp_path)  # no reinit: the active run comes back
    assert same_run is first
    second = start(tmp_path, reinit=True)
    assert second is not first
    assert tracklet.run is second
    with pytest.raises(errors.RunFinishedError):
        first.log({"x": 2.0})
    tracklet.log({"y": 2.0})
    tracklet.finish()
    info1, rows1 = stored(tmp_path, first.path)
    info2, rows2 = stored(tmp_path, second.path)
    assert (info1.state, rows1) == ("finished", [{"_step": 0, "x": 1.0}])
    assert (info2.state, rows2) == ("finished", [{"_step": 0, "y": 2.0}])


# -- descriptive fields ----------------------------------------------------------------------


def test_name_tags_notes_group_are_stored(tmp_path: Path) -> None:
    run = start(tmp_path, name="first-name", tags=["a"], notes="n1", group="g",
                job_type="train")
    run.name = "second-name"
    run.tags = ["x", "y", "x"]
    run.notes = "longer notes"
    run.group = "g2"
    run.job_type = "eval"
    with pytest.raises(TypeError, match="list of strings"):
        run.tags = "z"
    with pytest.raises(ValueError, match="limit"):
        run.notes = "n" * 70_000
    with pytest.raises(TypeError):
        run.name = 3
    assert (run.name, run.tags, run.notes) == ("second-name", ("x", "y"), "longer notes")
    tracklet.finish()
    info, _ = stored(tmp_path, run.path)
    assert (info.name, info.tags, info.notes, info.group, info.job_type) == (
        "second-name", ["x", "y"], "longer notes", "g2", "eval")


# -- reading: history sampling, dataframes, run lists -----------------------------------------


def test_history_samples_include_the_last_row(tmp_path: Path) -> None:
    run = start(tmp_path)
    for step in range(100):
        tracklet.log({"loss": 1.0 / (step + 1), "step_sq": float(step * step)})
    tracklet.finish()
    with tracklet.Api(tmp_path) as api:
        stored_run = api.run(run.path)
        rows = stored_run.history(samples=7, pandas=False)
        frame = stored_run.history(samples=5)
        everything = stored_run.history(keys=["loss"], pandas=False)
        paged = list(stored_run.scan_history(keys=["loss"], page_size=30))
    assert len(rows) == 7
    assert rows[0]["_step"] == 0 and rows[-1]["_step"] == 99
    assert rows[-1]["loss"] == 1.0 / 100 and rows[-1]["step_sq"] == 99.0 * 99
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 5
    assert {"_step", "loss", "step_sq"} <= set(frame.columns)
    assert frame["_step"].iloc[-1] == 99
    assert len(everything) == 100
    assert [r["_step"] for r in paged] == list(range(100))


def test_api_runs_filters_and_order(tmp_path: Path) -> None:
    specs = [("runa0001", 0.01, ["a"], 0.5), ("runb0001", 0.1, ["b"], 0.2),
             ("runc0001", 0.001, ["a", "b"], 0.9), ("rund0001", 1.0, [], 0.1)]
    for run_id, lr, tags, loss in specs:
        start(tmp_path, id=run_id, config={"lr": lr, "opt": "adam" if lr < 0.05 else "sgd"},
              tags=tags)
        tracklet.log({"loss": loss})
        tracklet.finish(exit_code=1 if run_id == "rund0001" else 0)
    with tracklet.Api(tmp_path) as api:
        def ids(**kwargs: Any) -> list[str]:
            return [r.id for r in api.runs("proj", **kwargs)]

        assert ids(order="-summary_metrics.loss") == ["runc0001", "runa0001", "runb0001",
                                                      "rund0001"]
        assert ids(order="+config.lr") == ["runc0001", "runa0001", "runb0001", "rund0001"]
        assert ids(order="created_at") == ["runa0001", "runb0001", "runc0001", "rund0001"]
        assert ids(filters={"config.lr": {"$lt": 0.05}}, order="created_at") == [
            "runa0001", "runc0001"]
        assert ids(filters={"config.opt": "sgd"}, order="created_at") == ["runb0001",
                                                                          "rund0001"]
        assert ids(filters={"tags": "b"}, order="created_at") == ["runb0001", "runc0001"]
        assert ids(filters={"state": "failed"}) == ["rund0001"]
        assert ids(filters={"summary_metrics.loss": {"$gte": 0.2, "$lt": 0.9}},
                   order="created_at") == ["runa0001", "runb0001"]
        assert ids(filters={"$and": [{"state": "finished"}, {"tags": "a"}]},
                   order="created_at") == ["runa0001", "runc0001"]
        assert ids(filters={"state": {"$in": ["failed", "crashed"]}}) == ["rund0001"]
        assert ids(per_page=1, order="created_at") == ["runa0001", "runb0001", "runc0001",
                                                       "rund0001"]
        runs = api.runs("proj", order="created_at")
        assert len(runs) == 4 and runs[0].id == "runa0001"
        with pytest.raises(errors.UsageError, match="unknown filter operator"):
            ids(filters={"config.lr": {"$regex": "x"}})
        assert [p.name for p in api.projects()] == ["proj"]
        assert api.projects()[0].run_count == 4


def test_api_without_data_says_what_to_do(tmp_path: Path) -> None:
    with tracklet.Api(tmp_path / "empty") as api, pytest.raises(errors.UsageError,
                                                                match="log a run first"):
        api.runs("proj")


# -- system metrics and console capture, for real ---------------------------------------------


def test_system_metrics_and_console_lines_reach_the_store(tmp_path: Path) -> None:
    run = start(tmp_path, settings={"system_metrics": True, "system_metrics_interval": 0.2,
                                    "console_capture": True})
    print("hello from the training loop")
    tracklet.log({"loss": 1.0})

    def has_cpu_points() -> bool:
        if not (tmp_path / "tracklet.db").exists():
            return False
        with tracklet.Api(tmp_path) as api:
            try:
                return "system/cpu_percent" in api.run(run.path).metric_keys("system")
            except errors.NotFoundError:  # not shipped yet
                return False

    wait_until(has_cpu_points)
    tracklet.finish()

    with tracklet.Api(tmp_path) as api:
        stored_run = api.run(run.path)
        system_rows = list(stored_run.scan_history(keys=["system/cpu_percent"],
                                                   stream="system"))
        assert "system/cpu_percent" not in stored_run.metric_keys()
        lines = api.store.read_console(stored_run._info.ref, search="training loop")
    assert len(system_rows) >= 1
    assert all(0.0 <= r["system/cpu_percent"] <= 100.0 * (os.cpu_count() or 1)
               for r in system_rows)
    assert [(ln.stream, ln.text) for ln in lines] == [("stdout",
                                                       "hello from the training loop")]


def test_scan_history_pages_agree_with_one_read(tmp_path: Path) -> None:
    run = start(tmp_path)
    for step in range(0, 400):
        row: dict[str, float] = {"dense": float(step)}
        if step % 37 == 0:
            row["sparse"] = -float(step)
        if 100 <= step < 110:
            row["burst"] = step / 2
        tracklet.log(row)
    tracklet.finish()
    with tracklet.Api(tmp_path) as api:
        stored_run = api.run(run.path)
        whole = list(stored_run.scan_history(page_size=0))
        for page_size in (1, 7, 30, 399, 1000):
            assert list(stored_run.scan_history(page_size=page_size)) == whole, page_size
        window = list(stored_run.scan_history(keys=["sparse", "burst"], min_step=100,
                                              max_step=300, page_size=4))
    assert len(whole) == 400
    assert [r["_step"] for r in window] == [100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
                                            111, 148, 185, 222, 259, 296]
    assert window[0]["burst"] == 50.0 and "sparse" not in window[0]
    assert all("dense" not in r for r in window)


def test_api_run_path_forms(tmp_path: Path) -> None:
    run = start(tmp_path, id="pathrun1")
    tracklet.log({"x": 1.0})
    tracklet.finish()
    with tracklet.Api(tmp_path) as api:
        for path in (run.path, f"proj/{run.id}", f"{run.entity}/proj/runs/{run.id}"):
            assert api.run(path).id == "pathrun1"
        with pytest.raises(errors.NotFoundError, match="nope"):
            api.run("proj/nope")
        with pytest.raises(errors.UsageError, match="not a valid path"):
            api.run("a/b/c/d")


def test_offline_resume_continues_from_the_run_log(tmp_path: Path) -> None:
    first = start(tmp_path, mode="offline", id="offres01", config={"lr": 0.1})
    tracklet.log({"loss": 2.0})
    tracklet.log({"loss": 1.0})
    first.finish()
    second = start(tmp_path, mode="offline", id="offres01", resume="must")
    assert second.step == 2
    assert second.config.as_dict() == {"lr": 0.1}
    second.finish()
    assert not (tmp_path / "tracklet.db").exists()
