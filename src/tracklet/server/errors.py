"""One error envelope for every failure: ``{"error": {"code", "message", "details"}}``.

=========================================  ======  ========================
what went wrong                            status  code
=========================================  ======  ========================
a ``TrackletError`` raised on purpose      its own its own (``not_found`` ...)
a parameter or body FastAPI cannot read    400     ``invalid_request``
no API key, or a wrong one                 401     ``unauthorized``
no such route                              404     ``not_found``
a method the route does not have           405     ``method_not_allowed``
a body over ``max_body_bytes``             413     ``body_too_large``
the database failed                        503     ``store_error`` (retry later)
anything else                              500     ``internal`` (details only in the log)
=========================================  ======  ========================

Messages of ``StoreError`` and of unexpected exceptions can hold SQL, URLs with passwords
or file paths: clients get a fixed text, the server log gets the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from tracklet.errors import StoreError, TrackletError
from tracklet.server.responses import JsonResponse

log = logging.getLogger("tracklet.server")

_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden",
               404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               415: "unsupported_media_type"}
_STORE_MESSAGE = "the database failed or is unavailable; try again later"


def envelope(status: int, code: str, message: str, details: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JsonResponse(body, status_code=status, headers=headers)


async def _tracklet_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrackletError)
    if isinstance(exc, StoreError):
        log.error("store error on %s %s: %s", request.method, request.url.path, exc.message)
        return envelope(exc.status, exc.code, _STORE_MESSAGE)
    return envelope(exc.status, exc.code, exc.message, exc.details)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                 "type": str(e.get("type", ""))} for e in exc.errors()]
    where = ", ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems[:3])
    return envelope(400, "invalid_request", f"the request is not valid ({where})",
                    {"errors": problems})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    if status == 404:
        message = f"no such endpoint: {request.url.path} (see /api/v1/docs)"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return envelope(status, code, message, headers=dict(exc.headers or {}))


async def _database_error(request: Request, exc: Exception) -> Response:
    """SQLAlchemy errors the store let through: an unreachable database is retryable."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        log.error("database error on %s %s: %s", request.method, request.url.path, exc)
        return envelope(503, StoreError.code, _STORE_MESSAGE)
    log.error("internal error on %s %s", request.method, request.url.path,
              exc_info=(type(exc), exc, exc.__traceback__))
    return await _internal_error(request, exc)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette raises the exception again after this response, so the server logs it
    return envelope(500, "internal", "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    app.add_exception_handler(TrackletError, _tracklet_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _internal_error)
