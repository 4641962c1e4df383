"""W&B-style run queries: filters such as ``{"config.lr": 0.1, "summary_metrics.loss":
{"$lt": 1}}`` and orders such as ``"-summary_metrics.loss"``, turned into ``RunFilter``s
and order specs the stores understand. Shared by the read API and the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracklet.errors import UsageError
from tracklet.store.base import RunFilter

MONGO_OPS = {"$eq": "=", "$ne": "!=", "$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=",
             "$in": "in", "$contains": "contains"}
ALIASES = {"createdAt": "created_at", "displayName": "name", "display_name": "name",
           "jobType": "job_type", "heartbeatAt": "heartbeat_at"}


def parse_filters(filters: Mapping[str, Any] | None) -> list[RunFilter]:
    """W&B-style filters as ``RunFilter``s (``$and`` lists are flattened)."""
    out: list[RunFilter] = []
    for field, cond in (filters or {}).items():
        if field == "$and":
            for sub in cond:
                out.extend(parse_filters(sub))
            continue
        name = field_name(field)
        if isinstance(cond, Mapping):
            for op, value in cond.items():
                if op not in MONGO_OPS:
                    raise UsageError(f"unknown filter operator {op!r} on {field!r}; use one "
                                     f"of {', '.join(MONGO_OPS)}")
                out.append(RunFilter(name, MONGO_OPS[op], value))  # type: ignore[arg-type]
        else:
            out.append(RunFilter(name, "contains" if name == "tags" else "=", cond))
    return out


def field_name(field: str) -> str:
    """W&B's names for run fields (``summary_metrics.x``, ``createdAt``) as ours."""
    if field.startswith("summary_metrics."):
        return "summary." + field[len("summary_metrics."):]
    return ALIASES.get(field, field)


def parse_order(order: str | None) -> list[str]:
    """``"-summary_metrics.loss"`` → ``["-summary.loss"]``; newest first by default."""
    if not order:
        return ["-created_at"]
    desc = order.startswith("-")
    return [("-" if desc else "") + field_name(order.lstrip("+-"))]
