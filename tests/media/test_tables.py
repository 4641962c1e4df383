"""tracklet.Table: built as W&B builds it, logged, and read back exactly as logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tracklet
from tracklet.sdk import table as table_module


def logged(data: Path, project: str, run_id: str) -> list[dict[str, Any]]:
    with tracklet.Api(data) as api:
        return [{k: v for k, v in row.items() if k != "_timestamp"}
                for row in api.run(f"{project}/{run_id}").media()]


def test_a_table_reads_back_as_it_was_logged(data: Path) -> None:
    table = tracklet.Table(columns=["epoch", "name", "ok", "score"],
                           data=[[1, "a", True, 0.5], [2, "b", False, None]])
    table.add_data(3, "c", True, np.float32(0.25))
    table.add_column("tags", [["x"], [], ["y", "z"]])
    assert table.get_column("epoch") == [1, 2, 3]
    assert table.get_column("score", convert_to="numpy").tolist() == [0.5, None, 0.25]
    run = tracklet.init(project="tab")
    tracklet.log({"eval/table": table}, step=4)
    run.finish()

    (row,) = logged(data, "tab", run.id)
    assert row == {"_step": 4, "eval/table": {
        "_type": "table", "columns": ["epoch", "name", "ok", "score", "tags"],
        "data": [[1, "a", True, 0.5, ["x"]], [2, "b", False, None, []],
                 [3, "c", True, 0.25, ["y", "z"]]]}}
    assert row["eval/table"] == table.to_json()


def test_tables_from_dataframes_and_defaults(data: Path) -> None:
    frame = pd.DataFrame({"users": ["geoff", "juergen", "ada"], "feature_01": [1, 117, 42]})
    from_frame = tracklet.Table(dataframe=frame)
    also = tracklet.Table(data=frame)  # W&B takes a DataFrame as data too
    assert from_frame.columns == also.columns == ["users", "feature_01"]
    assert from_frame.get_column("feature_01") == [1, 117, 42]
    assert from_frame.get_dataframe().equals(frame)
    default = tracklet.Table(rows=[["in", "out", "exp"]])
    assert default.columns == ["Input", "Output", "Expected"]
    run = tracklet.init(project="frames")
    tracklet.log({"users": from_frame})
    run.finish()
    (row,) = logged(data, "frames", run.id)
    assert row["users"]["data"] == [["geoff", 1], ["juergen", 117], ["ada", 42]]


@pytest.mark.parametrize(("build", "error", "message"), [
    (lambda: tracklet.Table(columns=["a", "b"], data=[[1, 2], [3]]), ValueError,
     r"2 columns \['a', 'b'\]; the row has 1 values"),
    (lambda: tracklet.Table(columns=["a"], data=[[1], ["x"]]), TypeError,
     "column 'a' holds number values, got 'x'"),
    (lambda: tracklet.Table(columns=["a"], data=[[None]], optional=False), TypeError,
     "not optional"),
    (lambda: tracklet.Table(columns=["a", "a"]), ValueError, "unique"),
    (lambda: tracklet.Table(columns=["a"], data=[[object()]]), TypeError,
     "cannot store a object"),
    (lambda: tracklet.Table(columns=["a"], dtype=complex), TypeError, "dtype .* not supported"),
    (lambda: tracklet.Table(columns=["a"], data=[[1]], dtype=str), TypeError,
     "holds str values"),
    (lambda: tracklet.Table(columns=["h"], data=[[tracklet.Histogram([1.0])]]), TypeError,
     "Histogram values in tables are not supported yet"),
])
def test_bad_tables_say_what_is_wrong(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_mixed_types_when_asked_and_column_errors() -> None:
    table = tracklet.Table(columns=["a"], data=[[1], ["x"]], allow_mixed_types=True)
    assert table.get_column("a") == [1, "x"]
    with pytest.raises(ValueError, match="column 'b' has 1 values; the table has 2 rows"):
        table.add_column("b", [1])
    assert table.columns == ["a"]
    with pytest.raises(KeyError, match="no column 'zz'"):
        table.get_column("zz")


def test_the_row_limit_is_w_and_bs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracklet.Table.MAX_ROWS == 10_000
    monkeypatch.setattr(tracklet.Table, "MAX_ROWS", 3)
    table = tracklet.Table(columns=["i"], data=[[0], [1], [2]])
    with pytest.raises(ValueError, match=r"3 rows, the limit \(Table.MAX_ROWS"):
        table.add_data(3)


def test_a_table_too_large_to_log_inline_is_refused_at_log(
        data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "MAX_BYTES", 1000)
    table = tracklet.Table(columns=["text"], data=[["x" * 100] for _ in range(20)])
    run = tracklet.init(project="big")
    with pytest.raises(ValueError, match=r"cannot log 'big': the table is .* bytes as JSON; "
                                         "the limit is 1000"):
        tracklet.log({"big": table})
    run.finish()


def test_non_finite_numbers_are_stored_as_json_strings(data: Path) -> None:
    table = tracklet.Table(columns=["x"], data=[[float("nan")], [float("inf")], [1.5]])
    run = tracklet.init(project="nan")
    tracklet.log({"t": table})
    run.finish()
    (row,) = logged(data, "nan", run.id)
    assert row["t"]["data"] == [["NaN"], ["Infinity"], [1.5]]
