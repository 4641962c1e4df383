"""Cursors of list endpoints: opaque to clients, an offset inside (the store's format)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from tracklet.errors import InvalidRequestError

T = TypeVar("T")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset in ``cursor`` (0 for none); 400 for a cursor no list handed out."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.isdigit() or len(text) > 18:
        raise InvalidRequestError("the cursor is not valid: pass the next_cursor of the "
                                  "previous page, or none for the first page",
                                  details={"param": "cursor"})
    return int(text)


def page(items: Sequence[T], cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of an in-memory list as ``{"items", "next_cursor"}``."""
    start = decode_cursor(cursor)
    chunk = list(items[start:start + limit])
    more = start + limit < len(items)
    return {"items": chunk, "next_cursor": encode_cursor(start + limit) if more else None}
