"""The ``filters`` and ``order`` parameters of the runs list, checked before the store.

``filters`` is JSON in W&B's style (``{"config.lr": 0.1, "summary_metrics.loss":
{"$lt": 1}, "tags": "best", "$and": [...]}``), parsed by ``tracklet.store.query``;
``order`` is a comma-separated list of fields, each with an optional ``-`` (descending).
Values must be JSON scalars (a list of them for ``$in``); field names may not hold quotes
or backslashes (they end up in JSON paths).
"""

from __future__ import annotations

import json
from typing import Any

from tracklet.errors import InvalidRequestError, UsageError
from tracklet.store.base import RunFilter
from tracklet.store.query import field_name, parse_filters

MAX_FILTERS = 50
MAX_ORDER = 5
_SCALARS = (str, int, float, bool, type(None))


def _refuse_constant(name: str) -> Any:
    raise InvalidRequestError(f"filters may not hold {name}: JSON has no such number",
                              details={"param": "filters"})


def parse_filters_param(text: str | None) -> list[RunFilter]:
    if not text:
        return []
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise InvalidRequestError(f"filters is not valid JSON ({exc})",
                                  details={"param": "filters"}) from None
    if not isinstance(data, dict):
        raise InvalidRequestError('filters must be a JSON object, e.g. {"config.lr": 0.1}',
                                  details={"param": "filters"})
    try:
        found = parse_filters(data)
    except UsageError as exc:
        raise InvalidRequestError(exc.message, details={"param": "filters"}) from None
    except (TypeError, AttributeError):  # "$and" with something that is not a list
        raise InvalidRequestError('"$and" takes a list of filter objects',
                                  details={"param": "filters"}) from None
    if len(found) > MAX_FILTERS:
        raise InvalidRequestError(f"at most {MAX_FILTERS} filter conditions",
                                  details={"param": "filters"})
    for f in found:
        _check_field(f.field, "filters")
        _check_value(f)
    return found


def _check_value(f: RunFilter) -> None:
    value = f.value
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, int) and not -(2**63) <= v < 2**63:
            raise InvalidRequestError(f"the value of {f.field!r} is too large an integer; "
                                      "write it as a float", details={"param": "filters"})
    if f.op == "in" or (f.field == "tags" and isinstance(value, list)):
        if not isinstance(value, list) or not all(isinstance(v, _SCALARS) for v in value):
            raise InvalidRequestError(f"the value of {f.field!r} {f.op} must be a list of "
                                      "strings or numbers", details={"param": "filters"})
        if f.op == "in" and len({type(v) is str for v in value}) > 1:
            raise InvalidRequestError(f"the $in list of {f.field!r} mixes strings and "
                                      "numbers", details={"param": "filters"})
        return
    if f.op == "contains" and f.field != "tags" and not isinstance(value, str):
        raise InvalidRequestError(f"$contains on {f.field!r} takes a string",
                                  details={"param": "filters"})
    if not isinstance(value, _SCALARS):
        raise InvalidRequestError(f"the value of {f.field!r} must be a string, number, "
                                  "true/false or null", details={"param": "filters"})


def _check_field(name: str, param: str) -> None:
    if not name or '"' in name or "\\" in name or len(name) > 512:
        raise InvalidRequestError(f"{name!r} is not a field name",
                                  details={"param": param})


def parse_order(text: str | None) -> list[str]:
    """``"-summary.loss,created_at"`` -> ``["-summary.loss", "created_at"]``."""
    out: list[str] = []
    for part in (text or "-created_at").split(","):
        part = part.strip()
        if not part:
            continue
        sign = "-" if part.startswith("-") else ""
        name = field_name(part.lstrip("+-"))
        _check_field(name, "order")
        out.append(sign + name)
    if len(out) > MAX_ORDER:
        raise InvalidRequestError(f"order takes at most {MAX_ORDER} fields",
                                  details={"param": "order"})
    return out or ["-created_at"]
