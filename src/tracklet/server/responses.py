"""Responses in JSON or msgpack, chosen by the request's ``Accept`` header.

JSON has no NaN or infinity: in JSON responses they are the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` (what Python's ``float()`` reads back). msgpack carries
them natively, so a client that needs to tell a logged NaN from the string ``"NaN"`` in a
config asks for ``Accept: application/x-msgpack``.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

MSGPACK = "application/x-msgpack"
MSGPACK_TYPES = frozenset({MSGPACK, "application/msgpack", "application/vnd.msgpack"})

_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()


def _float_name(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name (lists of finite numbers,
    the bulk of a series, are checked in one C-speed pass and kept as they are)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else _float_name(value)
    if kind is dict:
        return {k: json_safe(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        try:
            if all(map(math.isfinite, value)):
                return value
        except (TypeError, OverflowError):  # not numbers only (or huge integers)
            pass
        return [json_safe(v) for v in value]
    return value


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _json_encoder.encode(json_safe(content))


class MsgpackResponse(Response):
    media_type = MSGPACK

    def render(self, content: Any) -> bytes:
        return _msgpack_encoder.encode(content)


def wants_msgpack(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() in MSGPACK_TYPES
               for part in accept.split(","))


def respond(request: Request, content: Any, *, status_code: int = 200) -> Response:
    """``content`` (plain dicts, lists, numbers, strings) as msgpack or JSON."""
    if wants_msgpack(request):
        return MsgpackResponse(content, status_code=status_code)
    return JsonResponse(content, status_code=status_code)
