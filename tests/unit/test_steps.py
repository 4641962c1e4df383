"""Step rules of log(data, step=None, commit=True) (tracklet.core.steps), one test per rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklet.core.steps import StepTracker, check_step


class Rows:
    """The emit callback: keeps the very dicts emitted, so later mutation would show."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, dict[str, float]]] = []

    def __call__(self, step: int, values: dict[str, float]) -> None:
        self.rows.append((step, values))


def tracker(start: int = 0) -> tuple[StepTracker, Rows]:
    rows = Rows()
    return StepTracker(rows, start=start), rows


def test_auto_step_increments_on_each_commit() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, True)
    t.add({"a": 2.0}, None, True)
    t.add({"b": 3.0}, None, True)
    assert rows.rows == [(0, {"a": 1.0}), (1, {"a": 2.0}), (2, {"b": 3.0})]
    assert t.step == 3


def test_start_sets_the_first_automatic_step() -> None:
    t, rows = tracker(start=10)
    t.add({"a": 1.0}, None, True)
    assert rows.rows == [(10, {"a": 1.0})]
    assert t.step == 11


def test_commit_false_accumulates_until_a_commit() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, False)
    t.add({"b": 2.0}, None, False)
    assert rows.rows == []
    assert t.step == 0
    t.add({"c": 3.0}, None, True)
    assert rows.rows == [(0, {"a": 1.0, "b": 2.0, "c": 3.0})]
    assert t.step == 1


def test_commit_false_same_key_keeps_the_last_value() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, False)
    t.add({"a": 5.0}, None, True)
    assert rows.rows == [(0, {"a": 5.0})]


def test_explicit_step_forward_emits_at_once_and_moves_on() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, 5, True)
    assert rows.rows == [(5, {"a": 1.0})]
    assert t.step == 6
    t.add({"a": 2.0}, None, True)
    assert rows.rows[-1] == (6, {"a": 2.0})


def test_explicit_step_emits_the_pending_row_of_another_step_first() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, False)  # pending at step 0
    t.add({"b": 2.0}, 5, True)
    assert rows.rows == [(0, {"a": 1.0}), (5, {"b": 2.0})]
    assert t.step == 6


def test_explicit_step_equal_to_the_pending_step_merges() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, False)
    t.add({"b": 2.0}, 0, True)
    assert rows.rows == [(0, {"a": 1.0, "b": 2.0})]


def test_explicit_step_with_commit_false_waits() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, 7, False)
    assert rows.rows == []
    assert t.step == 7
    t.add({"b": 2.0}, 7, True)
    assert rows.rows == [(7, {"a": 1.0, "b": 2.0})]
    assert t.step == 8


def test_repeated_explicit_step_emits_again_at_that_step() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, 3, True)
    t.add({"b": 2.0}, 3, True)
    assert rows.rows == [(3, {"a": 1.0}), (3, {"b": 2.0})]
    assert t.step == 4


def test_backwards_step_is_kept_and_the_counter_follows_it() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, 10, True)
    t.add({"a": 2.0}, 2, True)
    t.add({"a": 3.0}, None, True)
    assert rows.rows == [(10, {"a": 1.0}), (2, {"a": 2.0}), (3, {"a": 3.0})]


def test_flush_emits_pending_and_advances() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, True)
    t.add({"b": 2.0}, None, False)
    t.flush()
    assert rows.rows == [(0, {"a": 1.0}), (1, {"b": 2.0})]
    assert t.step == 2


def test_flush_with_nothing_pending_does_nothing() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, True)
    t.flush()
    t.flush()
    assert rows.rows == [(0, {"a": 1.0})]
    assert t.step == 1


def test_emitted_rows_are_not_changed_by_later_calls() -> None:
    t, rows = tracker()
    t.add({"a": 1.0}, None, False)
    t.add({"b": 2.0}, 4, False)  # emits step 0's row
    t.add({"c": 3.0}, None, True)
    t.add({"d": 4.0}, None, False)
    t.flush()
    assert rows.rows == [(0, {"a": 1.0}), (4, {"b": 2.0, "c": 3.0}), (5, {"d": 4.0})]


# -- check_step --------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [0, 1, 12345, 2**63 - 1])
def test_check_step_accepts_non_negative_ints(step: int) -> None:
    assert check_step(step) == step


def test_check_step_accepts_numpy_ints_as_plain_int() -> None:
    got = check_step(np.int64(9))
    assert got == 9 and type(got) is int


@pytest.mark.parametrize("step", [-1, -(2**40)])
def test_check_step_refuses_negative(step: int) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        check_step(step)


@pytest.mark.parametrize("step", [True, False, 1.0, 2.5, "3", None, [1]],
                         ids=["True", "False", "1.0", "2.5", "str", "None", "list"])
def test_check_step_refuses_non_ints(step: object) -> None:
    with pytest.raises(TypeError, match="non-negative int"):
        check_step(step)


@pytest.mark.parametrize("step", [2**63, 10**30])
def test_check_step_refuses_huge(step: int) -> None:
    with pytest.raises(ValueError, match="too large"):
        check_step(step)


def test_check_step_refuses_negative_numpy_int() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        check_step(np.int32(-2))


# -- property: any call sequence against a model without a pending row ----------------------

ops = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from("abc"), st.integers(0, 1000).map(float),
                        min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(0, 12)),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(ops, st.integers(0, 5))
def test_every_value_lands_where_the_rules_say(
    calls: list[tuple[dict[str, float], int | None, bool]], start: int
) -> None:
    # model: each call lands at `step` (or the current step); commit moves to landing + 1
    expected: dict[tuple[int, str], float] = {}
    current = start
    for values, step, commit in calls:
        landing = current if step is None else step
        for key, value in values.items():
            expected[(landing, key)] = value
        current = landing + 1 if commit else landing

    t, rows = tracker(start)
    for values, step, commit in calls:
        t.add(dict(values), step, commit)
    t.flush()

    got: dict[tuple[int, str], float] = {}
    for step, values in rows.rows:
        assert values, "an empty row was emitted"
        for key, value in values.items():
            got[(step, key)] = value  # last write wins, in emission order
    assert got == expected
    pending_left = bool(calls) and not calls[-1][2]
    assert t.step == current + (1 if pending_left else 0)
