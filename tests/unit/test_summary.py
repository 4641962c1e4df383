"""Run summaries (tracklet.core.summary): statistics, define_metric parsing and lookup."""

from __future__ import annotations

import math

import pytest

from tracklet.core.summary import (
    MetricDef,
    MetricDefs,
    MetricStats,
    build_summary,
    parse_summary,
    summary_value,
)

nan = math.nan


def stats_of(values: list[float], start_step: int = 0) -> MetricStats:
    s = MetricStats()
    for i, v in enumerate(values):
        s.add(start_step + i, v)
    return s


# -- MetricStats ---------------------------------------------------------------------------------


def test_stats_of_plain_values() -> None:
    s = stats_of([3.0, 1.0, 2.0], start_step=10)
    assert (s.count, s.finite, s.total) == (3, 3, 6.0)
    assert (s.min, s.max) == (1.0, 3.0)
    assert (s.first, s.first_step, s.last, s.last_step) == (3.0, 10, 2.0, 12)


def test_nan_is_skipped_by_min_max_mean_but_counted() -> None:
    s = stats_of([3.0, nan, 1.0, 2.0])
    assert (s.count, s.finite) == (4, 3)
    assert (s.min, s.max) == (1.0, 3.0)
    mean = summary_value(s, MetricDef("x", summary=("mean",)))
    assert mean == {"mean": 2.0}


def test_nan_is_kept_as_first_and_last() -> None:
    s = stats_of([nan, 1.0, nan])
    assert s.first is not None and math.isnan(s.first)
    assert s.last is not None and math.isnan(s.last)
    assert (s.first_step, s.last_step) == (0, 2)
    assert (s.min, s.max) == (1.0, 1.0)


def test_all_nan_has_no_min_max_mean() -> None:
    s = stats_of([nan, nan])
    assert (s.min, s.max, s.finite) == (None, None, 0)
    got = summary_value(s, MetricDef("x", summary=("min", "max", "mean")))
    assert got == {"min": None, "max": None, "mean": None}


def test_infinities_take_part_in_min_and_max() -> None:
    s = stats_of([1.0, math.inf, -math.inf])
    assert (s.min, s.max) == (-math.inf, math.inf)


def test_last_is_the_most_recently_added_even_at_an_earlier_step() -> None:
    s = MetricStats()
    s.add(5, 1.0)
    s.add(2, 7.0)
    assert (s.last, s.last_step) == (7.0, 2)
    assert (s.first, s.first_step) == (1.0, 5)


def test_stats_round_trip_through_a_stored_row_where_nan_became_null() -> None:
    s = stats_of([nan, 2.0, nan])
    row = s.to_row()
    stored = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    back = MetricStats.from_row(stored)
    assert back.first is not None and math.isnan(back.first)
    assert back.last is not None and math.isnan(back.last)
    assert (back.count, back.finite, back.total, back.min, back.max) == (3, 1, 2.0, 2.0, 2.0)
    back.add(3, 0.5)  # and it keeps merging
    assert (back.count, back.min, back.last) == (4, 0.5, 0.5)


def test_empty_row_stays_empty() -> None:
    back = MetricStats.from_row(MetricStats().to_row())
    assert back == MetricStats()


# -- parse_summary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "goal", "expected"),
    [
        (None, None, ()),
        ("min", None, ("min",)),
        ("min,max", None, ("min", "max")),
        (" min , last ,", None, ("min", "last")),
        (["mean", "first"], None, ("mean", "first")),
        ("none", None, ("none",)),
        ("best", "minimize", ("best",)),
        ("best,last", "maximize", ("best", "last")),
    ],
)
def test_parse_summary_accepts(summary: object, goal: str | None,
                               expected: tuple[str, ...]) -> None:
    assert parse_summary(summary, goal) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("summary", "goal", "fragment"),
    [
        ("median", None, "'median' is not one of min, max, mean, first, last, best, none"),
        ("min,avg", None, "'avg' is not one of"),
        ("none,min", None, "cannot be combined"),
        ("best", None, "needs goal="),
        ("min", "lowest", "goal must be 'minimize' or 'maximize'"),
    ],
)
def test_parse_summary_refuses_with_a_helpful_message(summary: str, goal: str | None,
                                                      fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_summary(summary, goal)


# -- MetricDefs --------------------------------------------------------------------------------


def test_exact_name_beats_a_glob_added_later() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("eval/loss", summary=("max",)))
    defs.add(MetricDef("eval/*", summary=("min",)))
    assert defs.lookup("eval/loss") == MetricDef("eval/loss", summary=("max",))
    assert defs.lookup("eval/acc") == MetricDef("eval/*", summary=("min",))
    assert defs.lookup("train/loss") is None


def test_later_glob_beats_earlier_glob() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("*", summary=("max",)))
    defs.add(MetricDef("eval/*", summary=("min",)))
    assert defs.lookup("eval/acc").summary == ("min",)  # type: ignore[union-attr]
    defs.add(MetricDef("*", summary=("mean",)))  # redefined: now the latest
    assert defs.lookup("eval/acc").summary == ("mean",)  # type: ignore[union-attr]


def test_glob_is_case_sensitive_and_question_mark_works() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("loss?", summary=("min",)))
    assert defs.lookup("loss1") is not None
    assert defs.lookup("loss12") is None
    assert defs.lookup("LOSS1") is None


def test_redefining_an_exact_name_replaces_it() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("acc", summary=("min",)))
    defs.add(MetricDef("acc", summary=("max",), goal="maximize"))
    assert defs.lookup("acc") == MetricDef("acc", summary=("max",), goal="maximize")
    assert len(defs.to_json()) == 1


def test_defs_json_round_trip() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("eval/*", step_metric="epoch", summary=("best",), goal="minimize"))
    defs.add(MetricDef("acc"))
    back = MetricDefs.from_json(defs.to_json())
    assert back.defs == defs.defs
    assert MetricDefs.from_json(None).defs == {}


# -- summary_value and build_summary -----------------------------------------------------------


def test_summary_value_kinds() -> None:
    s = stats_of([4.0, 1.0, nan, 3.0])
    assert summary_value(s, None) == 3.0
    assert summary_value(s, MetricDef("x")) == 3.0
    assert summary_value(s, MetricDef("x", summary=("last",))) == 3.0
    assert summary_value(s, MetricDef("x", summary=("min",))) == {"min": 1.0}
    assert summary_value(s, MetricDef("x", summary=("max", "first"))) == {"max": 4.0,
                                                                         "first": 4.0}
    assert summary_value(s, MetricDef("x", summary=("mean", "last"))) == {
        "mean": pytest.approx(8.0 / 3), "last": 3.0}
    assert summary_value(s, MetricDef("x", summary=("best",), goal="minimize")) == {"best": 1.0}
    assert summary_value(s, MetricDef("x", summary=("best",), goal="maximize")) == {"best": 4.0}
    assert summary_value(s, MetricDef("x", summary=("none",))) is None


def test_build_summary_combines_defs_and_user_overrides() -> None:
    stats = {
        "train/loss": stats_of([2.0, 1.0, 1.5]),
        "eval/loss": stats_of([0.9, 0.4, 0.6]),
        "eval/acc": stats_of([0.1, 0.8, 0.7]),
        "lr": stats_of([0.1, 0.01]),
        "debug/x": stats_of([5.0]),
    }
    defs = MetricDefs()
    defs.add(MetricDef("eval/*", summary=("min",)))
    defs.add(MetricDef("eval/acc", summary=("max",)))
    defs.add(MetricDef("debug/*", summary=("none",)))
    out = build_summary(stats, defs, {"lr": "custom", "best_epoch": 3})
    assert out == {
        "train/loss": 1.5,
        "eval/loss": {"min": 0.4},
        "eval/acc": {"max": 0.8},
        "lr": "custom",
        "best_epoch": 3,
    }


def test_override_wins_even_over_a_hidden_key() -> None:
    defs = MetricDefs()
    defs.add(MetricDef("x", summary=("none",)))
    assert build_summary({"x": stats_of([1.0])}, defs, {"x": 9}) == {"x": 9}


# -- add_many (the store's batch path) agrees with add ----------------------------------------


@pytest.mark.parametrize("values", [
    [3.0, nan, 1.0, 2.0],
    [nan, nan],
    [math.inf, -math.inf, 1.0],
    [1e308, 1e308],
    [-1e308, -1e308, 5.0],
    [0.1] * 20,
    [math.inf] + [1.0] * 20,
], ids=["nan", "all-nan", "inf-and-minus-inf", "overflow", "neg-overflow", "many", "many-inf"])
def test_add_many_agrees_with_add(values: list[float]) -> None:
    one = stats_of(values, start_step=3)
    many = MetricStats()
    many.add_many(list(range(3, 3 + len(values))), values)
    for field in ("count", "finite", "min", "max", "first", "first_step", "last", "last_step",
                  "total"):
        a, b = getattr(one, field), getattr(many, field)
        if isinstance(a, float) and math.isnan(a):
            assert isinstance(b, float) and math.isnan(b), field
        elif field == "total" and a is not None and math.isfinite(a):
            assert b == pytest.approx(a), field
        else:
            assert a == b, field


def test_add_many_merges_across_batches() -> None:
    s = MetricStats()
    s.add_many([0, 1], [5.0, 2.0])
    s.add_many([2, 3], [nan, 4.0])
    assert (s.count, s.finite, s.total, s.min, s.max) == (4, 3, 11.0, 2.0, 5.0)
    assert (s.first, s.first_step, s.last, s.last_step) == (5.0, 0, 4.0, 3)
    s.add_many([], [])
    assert s.count == 4
