"""``tracklet.Table``: rows and columns for ``log()``, shaped like ``wandb.Table``.

Logged as W&B-shaped JSON ``{"_type": "table", "columns": [...], "data": [[...], ...]}``
kept inline with the media value. Cells are numbers, strings, bools, None, lists and dicts
of those, or ``tracklet.Image`` (stored as its ``image-file`` JSON; the bytes travel like
any logged image). At most ``Table.MAX_ROWS`` rows (10,000, as W&B) and ``MAX_BYTES`` of
JSON: a larger table belongs in an artifact.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from tracklet.core.values import json_safe_float, to_json_value
from tracklet.sdk.image import Image

MAX_BYTES = 4 * 1024 * 1024  # of JSON per logged table; the server takes 32 MiB bodies
DEFAULT_COLUMNS = ("Input", "Output", "Expected")


def _kind(value: Any) -> str | None:
    """The type of a cell for W&B's column type check (None for None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Image):
        return "image"
    if isinstance(value, Mapping):
        return "dict"
    return "list"


_DTYPES = {int: "number", float: "number", str: "str", bool: "bool", Image: "image",
           dict: "dict", list: "list"}


class Table:
    """A table to log: ``Table(columns=[...], data=[[...], ...])``, ``Table(dataframe=df)``
    or ``Table(data=df)``; add rows with ``add_data(*row)`` and columns with
    ``add_column(name, values)``.

    Column types are checked as W&B does: every non-None cell of a column has the same
    type (numbers, strings, bools, images, lists, dicts) unless ``allow_mixed_types``;
    ``optional=False`` (or a list of bools, one per column) refuses None; ``dtype`` (a
    type or one per column: ``int``, ``float``, ``str``, ``bool``, ``tracklet.Image``)
    fixes a column's type up front.
    """

    _tracklet_media: ClassVar[bool] = True
    _media_type: ClassVar[str] = "table"
    MAX_ROWS: ClassVar[int] = 10_000

    def __init__(self, columns: Sequence[str] | None = None, data: Any = None,
                 rows: Any = None, dataframe: Any = None, dtype: Any = None,
                 optional: bool | Sequence[bool] = True,
                 allow_mixed_types: bool = False) -> None:
        if dataframe is None and _is_dataframe(data):
            dataframe, data = data, None
        if dataframe is not None:
            if not _is_dataframe(dataframe):
                raise TypeError(f"dataframe must be a pandas DataFrame, got "
                                f"{type(dataframe).__name__}")
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.itertuples(index=False, name=None)
        elif data is None:
            data = rows
        cols = list(DEFAULT_COLUMNS if columns is None else columns)
        for c in cols:
            if not isinstance(c, str):
                raise TypeError(f"Table column names must be strings, got {c!r}")
        if len(set(cols)) != len(cols):
            raise ValueError(f"Table columns must be unique: {cols}")
        self.columns: list[str] = cols
        self.data: list[list[Any]] = []
        self._mixed = bool(allow_mixed_types)
        self._optional = self._per_column(optional, "optional", bool)
        self._types: list[str | None] = [None] * len(cols)
        if dtype is not None:
            for i, t in enumerate(self._per_column(dtype, "dtype", type)):
                if t not in _DTYPES:
                    raise TypeError(f"Table dtype {t!r} is not supported: use int, float, "
                                    "str, bool, dict, list or tracklet.Image")
                self._types[i] = _DTYPES[t]
        if data is not None:
            if hasattr(data, "tolist") and not isinstance(data, (list, tuple)):
                data = data.tolist()  # a 2-D numpy array
            for row in data:
                self.add_data(*row)

    def _per_column(self, value: Any, what: str, kind: type) -> list[Any]:
        if isinstance(value, (list, tuple)):
            if len(value) != len(self.columns):
                raise ValueError(f"Table {what} has {len(value)} entries for "
                                 f"{len(self.columns)} columns")
            return list(value)
        if kind is type and not isinstance(value, type):
            raise TypeError(f"Table {what} must be a type or a list of types")
        return [value] * len(self.columns)

    def _check(self, col: int, value: Any) -> Any:
        name = self.columns[col]
        value = _cell(value, name)
        kind = _kind(value)
        if kind is None:
            if not self._optional[col]:
                raise TypeError(f"Table column {name!r} is not optional: None is refused")
            return value
        if self._mixed:
            return value
        expected = self._types[col]
        if expected is None:
            self._types[col] = kind
        elif kind != expected:
            raise TypeError(f"Table column {name!r} holds {expected} values, got "
                            f"{value!r} ({kind}); pass allow_mixed_types=True to mix types")
        return value

    def add_data(self, *data: Any) -> None:
        """Add a row: one value per column."""
        if len(data) != len(self.columns):
            raise ValueError(f"this table has {len(self.columns)} columns {self.columns}; "
                             f"the row has {len(data)} values: {list(data)!r}"[:500])
        if len(self.data) >= self.MAX_ROWS:
            raise ValueError(f"the table has {self.MAX_ROWS} rows, the limit "
                             "(Table.MAX_ROWS, as W&B); log a larger table as an artifact "
                             "or raise Table.MAX_ROWS")
        self.data.append([self._check(i, v) for i, v in enumerate(data)])

    add_row = add_data

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Add a column with one value per row."""
        if not isinstance(name, str):
            raise TypeError(f"Table column names must be strings, got {name!r}")
        if name in self.columns:
            raise ValueError(f"the table has a column {name!r} already")
        values = data.tolist() if hasattr(data, "tolist") else list(data)
        if len(values) != len(self.data):
            raise ValueError(f"column {name!r} has {len(values)} values; the table has "
                             f"{len(self.data)} rows")
        self.columns.append(name)
        self._optional.append(optional)
        self._types.append(None)
        col = len(self.columns) - 1
        try:
            checked = [self._check(col, v) for v in values]
        except Exception:
            self.columns.pop()
            self._optional.pop()
            self._types.pop()
            raise
        for row, value in zip(self.data, checked):
            row.append(value)

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The values of column ``name`` (a numpy array with ``convert_to="numpy"``)."""
        if name not in self.columns:
            raise KeyError(f"the table has no column {name!r}; its columns: {self.columns}")
        i = self.columns.index(name)
        values = [row[i] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_dataframe(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.data, columns=self.columns)

    def to_json(self) -> dict[str, Any]:
        return {"_type": self._media_type, "columns": list(self.columns),
                "data": [[_json_cell(v) for v in row] for row in self.data]}

    def media_files(self) -> list[tuple[str, bytes]]:
        return [f for row in self.data for v in row if isinstance(v, Image)
                for f in v.media_files()]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Table) and other.columns == self.columns
                and other.to_json() == self.to_json())

    __hash__ = None  # type: ignore[assignment]  # mutable, as W&B's

    def __repr__(self) -> str:
        return f"Table({len(self.data)} rows, columns={self.columns})"


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "itertuples")


def _cell(value: Any, column: str) -> Any:
    """A cell as kept: Python numbers, strings, bools, None, images, lists, dicts."""
    if value is None or isinstance(value, (bool, str, Image, int, float)):
        return value
    if isinstance(value, numbers.Number):  # numpy scalars
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
        raise TypeError(f"Table column {column!r}: complex numbers are not supported")
    if _is_pandas_na(value):
        return None
    if getattr(type(value), "_tracklet_media", False):
        raise TypeError(f"Table column {column!r}: {type(value).__name__} values in tables "
                        "are not supported yet; Image is")
    if isinstance(value, Mapping) or (isinstance(value, Iterable)
                                      and not isinstance(value, bytes)):
        return to_json_value(value, path=f"Table column {column!r}")
    if hasattr(value, "tolist"):
        return to_json_value(value.tolist(), path=f"Table column {column!r}")
    raise TypeError(f"Table column {column!r}: cannot store a {type(value).__name__}; use "
                    "numbers, strings, bools, None, lists, dicts or tracklet.Image")


def _is_pandas_na(value: Any) -> bool:
    return type(value).__name__ in ("NAType", "NaTType")


def _json_cell(value: Any) -> Any:
    if isinstance(value, Image):
        return value.to_json()
    if isinstance(value, float):
        return json_safe_float(value)
    if isinstance(value, list):
        return [_json_cell(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_cell(v) for k, v in value.items()}
    return value
