"""Property: whatever mix of keys and steps a run logs, and however the records are cut
into batches, each key reads back as its points with the last write of a step winning,
and its min/max summary agrees with them."""

from __future__ import annotations

import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from record_builder import Segment

from tracklet.store.sql.store import SqlMetadataStore

KEYS = ["a", "b", "c"]
values = st.one_of(st.floats(-1e6, 1e6), st.just(math.nan))
rows = st.lists(
    st.tuples(st.integers(0, 40),  # steps repeat and go backwards
              st.dictionaries(st.sampled_from(KEYS), values, min_size=1)),
    min_size=1, max_size=60)
_runs = itertools.count()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(logged=rows, cuts=st.lists(st.integers(1, 60), max_size=6))
def test_any_rows_in_any_batches_read_back_last_write_wins(
        store: SqlMetadataStore, logged: list[tuple[int, dict[str, float]]],
        cuts: list[int]) -> None:
    seg = Segment(f"prop{next(_runs):06d}")
    records = [seg.start(), *(seg.define(k, ["min", "max"]) for k in KEYS),
               *(seg.hist(step, row) for step, row in logged)]
    for start, end in itertools.pairwise([0, *sorted(set(cuts)), len(records)]):
        if start < end:
            store.append_records(seg.header, records[start:end])
    expected: dict[str, dict[int, float]] = {}
    for step, row in logged:
        for key, value in row.items():
            expected.setdefault(key, {})[step] = value
    found = {s.key: s for s in store.read_series(seg.ref, KEYS)}
    summary = store.get_run(seg.ref).summary
    for key in KEYS:
        want = sorted(expected.get(key, {}).items())
        got = list(zip(found[key].steps, found[key].values)) if key in found else []
        assert [s for s, _ in got] == [s for s, _ in want]
        assert all(g == w or (math.isnan(g) and math.isnan(w))
                   for (_, g), (_, w) in zip(got, want)), (key, got, want)
        finite = [v for _, v in want if not math.isnan(v)]
        if finite:
            assert summary[key] == {"min": min(finite), "max": max(finite)}, key
