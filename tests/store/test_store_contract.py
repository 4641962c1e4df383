"""The MetadataStore contract: what every backend must do, checked through its interface."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest
from record_builder import Segment
from sqlalchemy import create_engine, func, select

from assertions import same
from tracklet.errors import NotFoundError, ValidationError
from tracklet.store.base import MetadataStore, RunFilter, RunRef
from tracklet.store.sql import schema
from tracklet.store.sql.store import SqlMetadataStore

nan, inf = math.nan, math.inf


def series(store: MetadataStore, ref: RunRef, key: str, **kw: Any) -> list[tuple[int, float]]:
    found = store.read_series(ref, [key], **kw)
    assert [s.key for s in found] == [key]
    return list(zip(found[0].steps, found[0].values))


def console_texts(store: MetadataStore, ref: RunRef, **kw: Any) -> list[str]:
    return [line.text for line in store.read_console(ref, **kw)]


# -- append_records: exactly once ---------------------------------------------------------------


def test_same_batch_twice_applies_once(store: SqlMetadataStore) -> None:
    seg = Segment()
    batch = [seg.start(), seg.history(0, loss=1.0), seg.console(("stdout", "hello")),
             seg.history(1, loss=0.5)]
    assert store.append_records(seg.header, batch) == 4
    assert store.append_records(seg.header, batch) == 4
    assert series(store, seg.ref, "loss") == [(0, 1.0), (1, 0.5)]
    assert console_texts(store, seg.ref) == ["hello"]
    assert store.get_segment_seq(seg.header) == 4


def test_overlapping_batch_applies_only_the_new_part(store: SqlMetadataStore) -> None:
    seg = Segment()
    recs = [seg.start(), seg.console(("stdout", "one")), seg.history(0, loss=3.0),
            seg.console(("stdout", "two")), seg.history(1, loss=2.0), seg.history(2, loss=1.0)]
    assert store.append_records(seg.header, recs[:3]) == 3
    assert store.append_records(seg.header, recs[1:]) == 6
    assert console_texts(store, seg.ref) == ["one", "two"]
    assert series(store, seg.ref, "loss") == [(0, 3.0), (1, 2.0), (2, 1.0)]


def test_gap_stops_and_returns_the_last_contiguous_seq(store: SqlMetadataStore) -> None:
    seg = Segment()
    recs = [seg.start(), seg.history(0, x=0.0), seg.history(1, x=1.0), seg.history(2, x=2.0),
            seg.history(3, x=3.0), seg.history(4, x=4.0)]
    assert store.append_records(seg.header, recs[:3]) == 3
    assert store.append_records(seg.header, recs[4:]) == 3  # seq 4 is missing
    assert series(store, seg.ref, "x") == [(0, 0.0), (1, 1.0)]
    assert store.get_segment_seq(seg.header) == 3
    assert store.append_records(seg.header, recs[3:]) == 6
    assert [s for s, _ in series(store, seg.ref, "x")] == [0, 1, 2, 3, 4]


def test_gap_inside_a_batch_applies_up_to_it(store: SqlMetadataStore) -> None:
    seg = Segment()
    recs = [seg.start(), seg.history(0, x=0.0), seg.history(1, x=1.0), seg.history(2, x=2.0)]
    assert store.append_records(seg.header, [recs[0], recs[1], recs[3]]) == 2
    assert series(store, seg.ref, "x") == [(0, 0.0)]
    assert store.get_run(seg.ref).last_step == 0


def test_unknown_segment_has_seq_zero(store: SqlMetadataStore) -> None:
    assert store.get_segment_seq(Segment().header) == 0


def test_two_segments_of_one_run_are_both_applied(store: SqlMetadataStore) -> None:
    first = Segment("resumed1", t0=1000.0)
    store.append_records(first.header, [first.start("orig"), first.history(0, loss=3.0),
                                        first.history(1, loss=2.0), first.finish()])
    created = store.get_run(first.ref).created_at
    second = Segment("resumed1", t0=5000.0)
    assert second.header.segment != first.header.segment
    store.append_records(second.header, [second.start("orig", resumed=True)])
    run = store.get_run(first.ref)
    assert (run.state, run.finished_at) == ("running", None)
    store.append_records(second.header, [second.history(2, loss=1.0),
                                         second.history(3, loss=0.5), second.finish()])
    assert series(store, first.ref, "loss") == [(0, 3.0), (1, 2.0), (2, 1.0), (3, 0.5)]
    run = store.get_run(first.ref)
    assert (run.state, run.last_step, run.created_at) == ("finished", 3, created)
    assert run.summary["loss"] == 0.5
    assert store.get_segment_seq(first.header) == 4
    assert store.get_segment_seq(second.header) == 4
    assert [p.run_count for p in store.list_projects()] == [1]


def test_same_key_and_step_last_write_wins(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.history(0, loss=3.0),
                                      seg.history(1, loss=1.0), seg.history(1, loss=5.0)])
    assert series(store, seg.ref, "loss") == [(0, 3.0), (1, 5.0)]
    store.append_records(seg.header, [seg.history(0, loss=7.0)])  # a later batch, too
    assert series(store, seg.ref, "loss") == [(0, 7.0), (1, 5.0)]
    assert store.get_run(seg.ref).summary["loss"] == 7.0  # the most recently logged


def test_summary_min_after_an_overwrite_agrees_with_the_stored_points(
        store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.define("loss", ["min", "max"]),
                                      seg.history(0, loss=3.0), seg.history(1, loss=1.0)])
    store.append_records(seg.header, [seg.history(1, loss=5.0)])  # step 1 rewritten
    assert series(store, seg.ref, "loss") == [(0, 3.0), (1, 5.0)]
    assert store.get_run(seg.ref).summary["loss"] == {"min": 3.0, "max": 5.0}


def test_nan_and_infinities_read_back_faithfully(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [
        seg.start(),
        seg.hist(0, {"a": nan, "b": inf, "c": -inf, "d": 0.0}),
        seg.hist(1, {"a": 1.0, "b": 2.0, "c": nan, "d": -0.0}),
        seg.hist(2, {"a": nan, "b": inf, "c": 2.0, "d": 1e308}),
    ])
    got = {s.key: s.values for s in store.read_series(seg.ref, ["a", "b", "c", "d"])}
    assert same(got["a"], [nan, 1.0, nan])
    assert got["b"] == [inf, 2.0, inf]
    assert same(got["c"], [-inf, nan, 2.0])
    assert got["d"] == [0.0, -0.0, 1e308]
    summary = store.get_run(seg.ref).summary
    assert math.isnan(summary["a"]) and summary["b"] == inf and summary["c"] == 2.0


def test_a_key_holding_both_infinities_is_stored(store: SqlMetadataStore) -> None:
    seg = Segment()
    assert store.append_records(seg.header, [seg.start(), seg.history(0, ll=inf),
                                             seg.history(1, ll=-inf)]) == 3
    store.append_records(seg.header, [seg.history(2, ll=inf), seg.history(3, ll=1.0)])
    assert series(store, seg.ref, "ll") == [(0, inf), (1, -inf), (2, inf), (3, 1.0)]
    assert store.get_run(seg.ref).summary["ll"] == 1.0


def test_run_with_nan_summary_can_be_filtered_and_sorted(store: SqlMetadataStore) -> None:
    bad, good = Segment("nanrun01", t0=1.0), Segment("goodrun1", t0=2.0)
    store.append_records(bad.header, [bad.start(), bad.history(0, loss=nan),
                                      bad.config({"lr": inf})])
    store.append_records(good.header, [good.start(), good.history(0, loss=0.5),
                                       good.config({"lr": 0.1})])
    page = store.list_runs("team", "proj", filters=[RunFilter("summary.loss", "<", 1.0)])
    assert [r.run_id for r in page.items] == ["goodrun1"]
    page = store.list_runs("team", "proj", filters=[RunFilter("config.lr", "<", 1.0)])
    assert [r.run_id for r in page.items] == ["goodrun1"]
    page = store.list_runs("team", "proj", order=["-summary.loss"])
    assert {r.run_id for r in page.items} == {"nanrun01", "goodrun1"}
    assert store.get_run(bad.ref).config == {"lr": inf}


# -- each record kind, as the readers see it ----------------------------------------------------


def test_run_start_and_update_fields(store: SqlMetadataStore) -> None:
    seg = Segment("fields01")
    store.append_records(seg.header, [seg.start("brisk-river-1", group="g", job_type="train",
                                                tags=["a", "b"], notes="first")])
    run = store.get_run(seg.ref)
    assert (run.name, run.group, run.job_type, run.tags, run.notes, run.state) == (
        "brisk-river-1", "g", "train", ["a", "b"], "first", "running")
    assert (run.entity, run.project, run.run_id) == ("team", "proj", "fields01")
    store.append_records(seg.header, [seg.update(name="renamed", tags=["c"]),
                                      seg.update(notes="second", group="h", job_type="eval")])
    run = store.get_run(seg.ref)
    assert (run.name, run.group, run.job_type, run.tags, run.notes) == (
        "renamed", "h", "eval", ["c"], "second")


def test_config_updates_deep_merge_and_lock(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [
        seg.start(),
        seg.config({"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}, "epochs": 3}),
        seg.config({"opt": {"name": "sgd", "momentum": 0.9}, "seed": 1}, locked=["seed"]),
    ])
    run = store.get_run(seg.ref)
    assert run.config == {"lr": 0.1, "epochs": 3, "seed": 1,
                          "opt": {"name": "sgd", "betas": [0.9, 0.99], "momentum": 0.9}}
    assert run.config_locked == ["seed"]


def test_metadata_merges(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(),
                                      seg.meta({"host": "h1", "git": {"commit": "abc"}}),
                                      seg.meta({"git": {"dirty": True}, "python": "3.11"})])
    assert store.get_run(seg.ref).metadata == {
        "host": "h1", "python": "3.11", "git": {"commit": "abc", "dirty": True}}


def test_summary_is_last_value_and_user_values_win(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.history(0, loss=2.0, acc=0.1),
                                      seg.history(1, loss=1.0)])
    assert store.get_run(seg.ref).summary == {"loss": 1.0, "acc": 0.1}
    store.append_records(seg.header, [seg.summary({"loss": "custom", "best_epoch": 4})])
    assert store.get_run(seg.ref).summary == {"loss": "custom", "acc": 0.1, "best_epoch": 4}
    store.append_records(seg.header, [seg.summary({}, removed=["loss"]),
                                      seg.history(2, loss=0.5)])
    assert store.get_run(seg.ref).summary == {"loss": 0.5, "acc": 0.1, "best_epoch": 4}


def test_define_metric_summaries(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [
        seg.start(),
        seg.define("eval/*", ["min"]),
        seg.define("eval/acc", ["max", "last"]),
        seg.define("debug/*", ["none"]),
        seg.define("score", ["best"], goal="maximize"),
        seg.hist(0, {"eval/loss": 3.0, "eval/acc": 0.2, "debug/x": 1.0, "score": 5.0,
                     "train/loss": 9.0}),
        seg.hist(1, {"eval/loss": 1.0, "eval/acc": 0.9, "score": 7.0, "train/loss": 8.0}),
        seg.hist(2, {"eval/loss": 2.0, "eval/acc": 0.5, "score": nan, "train/loss": 7.0}),
    ])
    run = store.get_run(seg.ref)
    assert run.summary == {"eval/loss": {"min": 1.0}, "eval/acc": {"max": 0.9, "last": 0.5},
                           "score": {"best": 7.0}, "train/loss": 7.0}
    assert {d["name"] for d in run.metric_defs} == {"eval/*", "eval/acc", "debug/*", "score"}
    # a definition that arrives after the points still shapes the summary
    store.append_records(seg.header, [seg.define("train/loss", ["mean"])])
    assert store.get_run(seg.ref).summary["train/loss"] == {"mean": 8.0}


def test_run_finish(store: SqlMetadataStore) -> None:
    seg = Segment()
    recs = [seg.start(), seg.history(0, x=1.0)]
    fin = seg.finish("failed", exit_code=1, traceback="Traceback: boom", dropped=3)
    store.append_records(seg.header, [*recs, fin])
    run = store.get_run(seg.ref)
    assert (run.state, run.exit_code, run.traceback, run.dropped) == (
        "failed", 1, "Traceback: boom", 3)
    assert run.finished_at == fin.ts
    assert store.list_running() == []


def test_heartbeat_moves_heartbeat_at(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start()])
    hb = seg.heartbeat()
    store.append_records(seg.header, [hb])
    run = store.get_run(seg.ref)
    assert run.heartbeat_at == hb.ts
    assert [r.run_id for r in store.list_running(heartbeat_before=hb.ts + 1)] == [seg.ref.run_id]
    assert store.list_running(heartbeat_before=hb.ts - 1) == []


def test_live_deliveries_are_heartbeats_on_the_stores_clock(store_url: str) -> None:
    now = [5_000_000.0]
    live = SqlMetadataStore(store_url, clock=lambda: now[0])
    try:
        seg = Segment(t0=1_000_000.0)  # the client's clock is far behind the store's
        live.append_records(seg.header, [seg.start(), seg.heartbeat()], live=True)
        assert live.get_run(seg.ref).heartbeat_at == now[0]
        now[0] += 30
        live.append_records(seg.header, [seg.heartbeat()], live=True)
        assert live.get_run(seg.ref).heartbeat_at == now[0]
        assert live.list_running(heartbeat_before=now[0] - 10) == []
    finally:
        live.close()


def test_live_delivery_revives_a_run_marked_crashed_a_replay_does_not(
        store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start()], live=True)
    store.mark_crashed([seg.ref], at=seg.ts + 100)
    store.append_records(seg.header, [seg.history(0, loss=1.0)])  # a replay (sync)
    assert store.get_run(seg.ref).state == "crashed"
    store.append_records(seg.header, [seg.heartbeat()], live=True)
    run = store.get_run(seg.ref)
    assert (run.state, run.finished_at) == ("running", None)
    store.append_records(seg.header, [seg.heartbeat()], live=True)  # already held: no change
    store.mark_crashed([seg.ref], at=seg.ts + 100)
    fin = seg.finish()
    store.append_records(seg.header, [fin], live=True)
    assert store.get_run(seg.ref).state == "finished"


def test_console_lines_in_order_with_search(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [
        seg.start(),
        seg.console(("stdout", "epoch 1 loss=0.5"), ("stderr", "warning: 100% of _x used")),
        seg.console(("stdout", "epoch 2 loss=0.25")),
    ])
    store.append_records(seg.header, [seg.console(("stdout", "done"))])
    lines = store.read_console(seg.ref)
    assert [(ln.line_no, ln.stream, ln.text) for ln in lines] == [
        (0, "stdout", "epoch 1 loss=0.5"), (1, "stderr", "warning: 100% of _x used"),
        (2, "stdout", "epoch 2 loss=0.25"), (3, "stdout", "done")]
    assert console_texts(store, seg.ref, search="epoch") == ["epoch 1 loss=0.5",
                                                              "epoch 2 loss=0.25"]
    assert console_texts(store, seg.ref, search="100%") == ["warning: 100% of _x used"]
    assert console_texts(store, seg.ref, search="0%_") == []  # % and _ are literal
    assert console_texts(store, seg.ref, offset=1, limit=2) == ["warning: 100% of _x used",
                                                                 "epoch 2 loss=0.25"]


def test_system_metrics_are_their_own_series(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [
        seg.start(), seg.history(0, loss=1.0),
        seg.system({"system/cpu_percent": 10.0, "system/memory_percent": 50.0}),
        seg.system({"system/cpu_percent": 30.0, "system/memory_percent": 51.0}),
    ])
    assert store.list_metric_keys(seg.ref, kind="system") == ["system/cpu_percent",
                                                              "system/memory_percent"]
    assert store.list_metric_keys(seg.ref, kind="history") == ["loss"]
    got = store.read_series(seg.ref, ["system/cpu_percent"])
    assert got[0].values == [10.0, 30.0]
    assert "system/cpu_percent" not in store.get_run(seg.ref).summary


def test_project_keys_are_every_runs_keys(store: SqlMetadataStore) -> None:
    first, second = Segment("run00001"), Segment("run00002")
    other = Segment("run00003", project="elsewhere")
    store.append_records(first.header, [first.start(), first.history(0, loss=1.0, acc=0.5)])
    store.append_records(second.header, [
        second.start(), second.history(0, loss=2.0), second.history(5, **{"eval/f1": 0.1}),
        second.system({"system/cpu_percent": 3.0})])
    store.append_records(other.header, [other.start(), other.history(0, secret=1.0)])
    assert store.list_project_keys("team", "proj", kind="history") == ["acc", "eval/f1",
                                                                       "loss"]
    assert store.list_project_keys("team", "proj", kind="system") == ["system/cpu_percent"]
    assert store.list_project_keys("team", "nothing", kind="history") == []


def test_read_series_ranges_and_limits(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start()] + [seg.history(s, x=float(s), y=-s)
                                                      for s in (5, 1, 3, 9, 7)])
    assert series(store, seg.ref, "x") == [(1, 1.0), (3, 3.0), (5, 5.0), (7, 7.0), (9, 9.0)]
    assert [s for s, _ in series(store, seg.ref, "x", min_step=3, max_step=7)] == [3, 5, 7]
    assert [s for s, _ in series(store, seg.ref, "x", min_step=4, limit=2)] == [5, 7]
    found = store.read_series(seg.ref, ["y", "missing", "x"])
    assert [s.key for s in found] == ["y", "x"]
    assert found[0].values == [-1.0, -3.0, -5.0, -7.0, -9.0]
    t0 = 1_000_000.0  # Segment's clock: start at t0 + 1, then one second per record
    assert found[0].timestamps == [t0 + 3, t0 + 4, t0 + 2, t0 + 6, t0 + 5]


def test_unknown_run_is_not_found(store: SqlMetadataStore) -> None:
    ref = RunRef("team", "proj", "nope")
    with pytest.raises(NotFoundError, match="team/proj/nope"):
        store.get_run(ref)
    with pytest.raises(NotFoundError):
        store.read_series(ref, ["x"])


# -- listing runs ----------------------------------------------------------------------------


RUNS: list[dict[str, Any]] = [
    {"id": "run1", "state": "finished", "tags": ["a", "b"], "group": "g1", "loss": 0.2,
     "config": {"lr": 0.01, "opt": {"name": "adam"}, "model": "resnet"}},
    {"id": "run2", "state": "finished", "tags": ["b"], "group": "g1", "loss": 0.9,
     "config": {"lr": 0.1, "opt": {"name": "sgd"}, "model": "vit"}},
    {"id": "run3", "state": "failed", "tags": ["a"], "group": "g2", "loss": 0.4,
     "config": {"lr": 0.001, "opt": {"name": "adam"}}},
    {"id": "run4", "state": "running", "tags": [], "group": None, "loss": None,
     "config": {"lr": 0.05}},
    {"id": "run5", "state": "finished", "tags": ["c"], "group": "g2", "loss": 1.5,
     "config": {"lr": 1, "model": "resnet"}},
    {"id": "run6", "state": "killed", "tags": ["a", "c"], "group": None, "loss": 0.1,
     "config": {"lr": 0.2}},
]


@pytest.fixture
def six_runs(store: SqlMetadataStore) -> SqlMetadataStore:
    for i, spec in enumerate(RUNS):
        seg = Segment(spec["id"], t0=1000.0 * (i + 1))
        recs = [seg.start(tags=spec["tags"], group=spec["group"]), seg.config(spec["config"])]
        if spec["loss"] is not None:
            recs.append(seg.history(0, loss=spec["loss"]))
        if spec["state"] != "running":
            recs.append(seg.finish(spec["state"]))
        store.append_records(seg.header, recs)
    other = Segment("elsewhere", project="other")
    store.append_records(other.header, [other.start(), other.history(0, loss=0.0)])
    return store


def ids(store: MetadataStore, filters: list[RunFilter] | None = None,
        order: list[str] | None = None) -> list[str]:
    page = store.list_runs("team", "proj", filters=filters or [],
                           order=order or ["created_at"])
    assert page.next_cursor is None
    return [r.run_id for r in page.items]


@pytest.mark.parametrize(("flt", "expected"), [
    ([RunFilter("state", "=", "finished")], ["run1", "run2", "run5"]),
    ([RunFilter("state", "in", ["failed", "killed"])], ["run3", "run6"]),
    ([RunFilter("state", "!=", "finished")], ["run3", "run4", "run6"]),
    ([RunFilter("tags", "contains", "a")], ["run1", "run3", "run6"]),
    ([RunFilter("tags", "contains", ["a", "c"])], ["run6"]),
    ([RunFilter("tags", "in", ["b", "c"])], ["run1", "run2", "run5", "run6"]),
    ([RunFilter("config.lr", "<", 0.05)], ["run1", "run3"]),
    ([RunFilter("config.lr", ">=", 0.1)], ["run2", "run5", "run6"]),
    ([RunFilter("config.lr", "=", 1)], ["run5"]),
    ([RunFilter("config.model", "=", "resnet")], ["run1", "run5"]),
    ([RunFilter("config.opt.name", "=", "adam")], ["run1", "run3"]),
    ([RunFilter("config.model", "in", ["vit", "resnet"])], ["run1", "run2", "run5"]),
    ([RunFilter("summary.loss", "<", 0.5)], ["run1", "run3", "run6"]),
    ([RunFilter("summary.loss", ">", 0.5)], ["run2", "run5"]),
    ([RunFilter("group", "=", "g1")], ["run1", "run2"]),
    ([RunFilter("state", "=", "finished"), RunFilter("summary.loss", "<", 1.0)],
     ["run1", "run2"]),
    ([RunFilter("created_at", ">", 3500.0)], ["run4", "run5", "run6"]),
], ids=lambda v: repr(v) if not isinstance(v, list) or not v or isinstance(v[0], str) else
   " & ".join(f"{f.field}{f.op}{f.value}" for f in v))
def test_list_runs_filters(six_runs: SqlMetadataStore, flt: list[RunFilter],
                           expected: list[str]) -> None:
    assert ids(six_runs, flt) == expected


def test_list_runs_orders(six_runs: SqlMetadataStore) -> None:
    assert ids(six_runs, order=["created_at"]) == ["run1", "run2", "run3", "run4", "run5",
                                                   "run6"]
    assert ids(six_runs, order=["-created_at"]) == ["run6", "run5", "run4", "run3", "run2",
                                                    "run1"]
    assert ids(six_runs, order=["-summary.loss"]) == ["run5", "run2", "run3", "run1", "run6",
                                                      "run4"]
    assert ids(six_runs, order=["summary.loss"]) == ["run6", "run1", "run3", "run2", "run5",
                                                     "run4"]
    assert ids(six_runs, order=["-config.lr"])[:2] == ["run5", "run6"]


def test_list_runs_default_order_is_newest_first(six_runs: SqlMetadataStore) -> None:
    page = six_runs.list_runs("team", "proj")
    assert [r.run_id for r in page.items] == ["run6", "run5", "run4", "run3", "run2", "run1"]


def test_cursor_pages_give_every_run_once(six_runs: SqlMetadataStore) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = six_runs.list_runs("team", "proj", order=["-summary.loss"], limit=2,
                                  cursor=cursor)
        pages += 1
        assert len(page.items) == 2
        seen += [r.run_id for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert seen == ["run5", "run2", "run3", "run1", "run6", "run4"]


def test_cursor_pages_with_a_filter(six_runs: SqlMetadataStore) -> None:
    flt = [RunFilter("tags", "in", ["a", "b"])]
    first = six_runs.list_runs("team", "proj", filters=flt, order=["created_at"], limit=3)
    assert [r.run_id for r in first.items] == ["run1", "run2", "run3"]
    assert first.next_cursor is not None
    second = six_runs.list_runs("team", "proj", filters=flt, order=["created_at"], limit=3,
                                cursor=first.next_cursor)
    assert [r.run_id for r in second.items] == ["run6"]
    assert second.next_cursor is None


def test_unknown_filter_field_is_a_validation_error(six_runs: SqlMetadataStore) -> None:
    with pytest.raises(ValidationError, match="cannot filter or sort"):
        six_runs.list_runs("team", "proj", filters=[RunFilter("colour", "=", "red")])
    with pytest.raises(ValidationError):
        six_runs.list_runs("team", "proj", order=["-bogus"])


def test_list_runs_of_an_unknown_project_is_empty(six_runs: SqlMetadataStore) -> None:
    page = six_runs.list_runs("team", "nothing-here")
    assert (page.items, page.next_cursor) == ([], None)


def test_list_projects_counts_runs(store: SqlMetadataStore) -> None:
    for entity, project, run_id in [("team", "p1", "a1"), ("team", "p1", "a2"),
                                    ("team", "p1", "a3"), ("team", "p2", "b1"),
                                    ("solo", "p1", "c1"), ("solo", "p1", "c2")]:
        seg = Segment(run_id, project=project, entity=entity)
        store.append_records(seg.header, [seg.start()])
    counts = {(p.entity, p.name): p.run_count for p in store.list_projects()}
    assert counts == {("team", "p1"): 3, ("team", "p2"): 1, ("solo", "p1"): 2}
    assert {p.name: p.run_count for p in store.list_projects("team")} == {"p1": 3, "p2": 1}
    assert store.list_projects("nobody") == []


# -- crashes and deletion -----------------------------------------------------------------------


def test_mark_crashed_only_affects_running_runs(store: SqlMetadataStore) -> None:
    running, done = Segment("running1"), Segment("finished")
    store.append_records(running.header, [running.start(), running.history(0, x=1.0)])
    store.append_records(done.header, [done.start(), done.finish()])
    finished_at = store.get_run(done.ref).finished_at
    assert store.mark_crashed([running.ref, done.ref], at=123456.0) == 1
    crashed = store.get_run(running.ref)
    assert (crashed.state, crashed.finished_at) == ("crashed", 123456.0)
    kept = store.get_run(done.ref)
    assert (kept.state, kept.finished_at) == ("finished", finished_at)
    assert store.mark_crashed([running.ref], at=999.0) == 0
    assert store.get_run(running.ref).finished_at == 123456.0
    assert series(store, running.ref, "x") == [(0, 1.0)]


def test_delete_run_removes_everything_of_it(store_url: str, store: SqlMetadataStore) -> None:
    gone, kept = Segment("gone0001"), Segment("kept0001")
    gone_recs = [gone.start(), gone.history(0, loss=1.0), gone.history(1, loss=2.0),
                 gone.system({"system/cpu_percent": 5.0}), gone.console(("stdout", "bye"))]
    store.append_records(gone.header, gone_recs)
    store.append_records(kept.header, [kept.start(), kept.history(0, loss=9.0)])
    store.delete_run(gone.ref)
    with pytest.raises(NotFoundError):
        store.get_run(gone.ref)
    assert series(store, kept.ref, "loss") == [(0, 9.0)]
    assert [p.run_count for p in store.list_projects()] == [1]
    store.delete_run(kept.ref)
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            leftovers = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                         for t in schema.metadata.sorted_tables if t.name != "projects"}
    finally:
        engine.dispose()
    assert leftovers == dict.fromkeys(leftovers, 0)
    # the same segment shipped again is a new run, not added to old points
    assert store.append_records(gone.header, gone_recs) == len(gone_recs)
    assert series(store, gone.ref, "loss") == [(0, 1.0), (1, 2.0)]
    assert console_texts(store, gone.ref) == ["bye"]


def test_store_reopened_keeps_its_data(store_url: str, store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.history(0, loss=1.0)])
    again = SqlMetadataStore(store_url)
    try:
        assert series(again, seg.ref, "loss") == [(0, 1.0)]
        assert again.get_segment_seq(seg.header) == 2
        assert again.append_records(seg.header, [seg.history(1, loss=0.5)]) == 3
    finally:
        again.close()
    assert series(store, seg.ref, "loss") == [(0, 1.0), (1, 0.5)]


def test_limited_reads_page_through_batches_that_straddle_the_start(
        store: SqlMetadataStore) -> None:
    """Each batch is stored as one chunk per key: a page that starts inside a chunk, or
    after steps were written twice, still gets `limit` points when they exist."""
    seg = Segment()
    store.append_records(seg.header, [seg.start()])
    for first in (0, 10, 20):  # three batches: steps 0-9, 10-19, 20-29
        store.append_records(seg.header, [seg.history(s, x=float(s)) for s in
                                          range(first, first + 10)])
    # steps 0-9 written again (a restart): their values change, their count does not
    store.append_records(seg.header, [seg.history(s, x=-float(s)) for s in range(10)])

    assert series(store, seg.ref, "x", min_step=5, limit=10) == (
        [(s, -float(s)) for s in range(5, 10)] + [(s, float(s)) for s in range(10, 15)])
    pages, lo = [], 0
    while True:
        page = series(store, seg.ref, "x", min_step=lo, limit=7)
        if not page:
            break
        pages.append(page)
        lo = page[-1][0] + 1
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert [s for p in pages for s, _ in p] == list(range(30))


def test_update_run_edits_name_tags_and_clears_notes(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), seg.history(0, loss=1.0)])
    edited = store.update_run(seg.ref, {"name": "better", "tags": ["a", "b"], "notes": "hi"})
    assert (edited.name, edited.tags, edited.notes) == ("better", ["a", "b"], "hi")
    cleared = store.update_run(seg.ref, {"notes": None})
    assert (cleared.name, cleared.tags, cleared.notes) == ("better", ["a", "b"], None)
    assert series(store, seg.ref, "loss") == [(0, 1.0)]


def test_the_same_batches_delivered_concurrently_apply_once(store_url: str) -> None:
    """A client retrying after a timeout while its first request still runs: each
    record must still be applied exactly once (PostgreSQL needs a per-run lock)."""
    seg = Segment()
    batches = [[seg.start()]] + [[seg.history(s, x=float(s)), seg.console(("stdout", f"l{s}"))]
                                 for s in range(20)]
    stores = [SqlMetadataStore(store_url) for _ in range(3)]
    try:
        def deliver(s: SqlMetadataStore) -> None:
            for batch in batches:
                s.append_records(seg.header, batch)

        threads = [threading.Thread(target=deliver, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert series(stores[0], seg.ref, "x") == [(s, float(s)) for s in range(20)]
        assert console_texts(stores[0], seg.ref) == [f"l{s}" for s in range(20)]
    finally:
        for s in stores:
            s.close()
