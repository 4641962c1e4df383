"""Request bodies over ``max_body_bytes`` get 413 ``body_too_large``, however they come.

A declared ``Content-Length`` over the limit is refused before a byte is read; a body
that turns out bigger than declared, or is sent chunked, is cut off as soon as the bytes
read pass the limit, and whatever the endpoint was about to answer is replaced by the 413.
"""

from __future__ import annotations

import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklet.errors import InvalidRequestError, TooLargeError
from tracklet.server.errors import envelope


def too_large(limit: int) -> TooLargeError:
    return TooLargeError(f"the request body is larger than this server's limit of {limit} "
                         "bytes; send smaller batches",
                         details={"max_body_bytes": limit})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            if declared.isdigit():
                error = too_large(self.limit)
                response = envelope(error.status, error.code, error.message, error.details)
            else:
                response = envelope(400, "invalid_request", "Content-Length is not a number")
            await response(scope, receive, send)
            return
        read, over, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal read, over
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.limit:
                    over = True
                    raise too_large(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the 413 below replaces whatever the endpoint made of the error
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over:
                raise  # an error of its own; the body limit had nothing to do with it
        if over and not started:
            error = too_large(self.limit)
            response = envelope(error.status, error.code, error.message, error.details)
            await response(scope, receive, send)


class NulGuardMiddleware:
    """A path or query holding a NUL character gets 400: no name or key holds one, and
    databases refuse them (PostgreSQL text cannot store them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"]
                                        or b"%00" in scope["query_string"]):
            response = envelope(400, "invalid_request",
                                "the path or query holds a NUL character")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def gunzip(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing one that inflates past ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidRequestError(f"the body is not valid gzip ({exc})") from None
    if len(out) > limit:
        raise TooLargeError(f"the body decompresses to more than this server's limit of "
                            f"{limit} bytes; send smaller batches",
                            details={"max_body_bytes": limit})
    if not inflater.eof:
        raise InvalidRequestError("the gzip body is truncated")
    if inflater.unused_data:
        raise InvalidRequestError("the gzip body has trailing bytes (one gzip member only)")
    return out
