"""The exception tree of Tracklet.

Every error raised on purpose derives from :class:`TrackletError`, carries a stable
``code`` (for the HTTP error envelope and for programs), an HTTP ``status`` and a message
that is safe to show and says what to do::

    TrackletError                    tracklet_error        500
    ├── UsageError                   usage_error           400   wrong call order or arguments
    │   ├── NotInitializedError      not_initialized       400   log() before init()
    │   ├── RunFinishedError         run_finished          400   log() after finish()
    │   └── InvalidRequestError      invalid_request       400   a malformed HTTP request
    ├── ValidationError              invalid_value         400   a key or value we cannot store
    ├── NotFoundError                not_found             404   no such project, run, ...
    ├── ConflictError                conflict              409   resume="never", id taken
    ├── StoreError                   store_error           503   the database failed (retryable)
    ├── RunLogError                  run_log_error         500   a run log that cannot be read
    ├── AuthError                    unauthorized          401   no key, or a wrong or revoked one
    ├── PermissionDeniedError        forbidden             403   the key may not do this
    ├── TooLargeError                body_too_large        413   a body or batch over the limit
    ├── UnsupportedMediaTypeError    unsupported_media_type 415  a body type or encoding not read
    └── ServerUnavailableError       server_unavailable    503   no answer or a failed one (retry)

The HTTP client turns the server's error envelope back into the same class
(:func:`error_class`), so ``except NotFoundError`` works against a server as it does
against the local store.

Built-in exceptions are kept where Python users expect them: a value of the wrong type
raises :class:`TypeError` (``ValidationError`` also subclasses ``ValueError``).
"""

from __future__ import annotations

from typing import Any


class TrackletError(Exception):
    code: str = "tracklet_error"
    status: int = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class UsageError(TrackletError):
    code = "usage_error"
    status = 400


class NotInitializedError(UsageError):
    code = "not_initialized"


class RunFinishedError(UsageError):
    code = "run_finished"


class InvalidRequestError(UsageError):
    """An HTTP request the server cannot read: malformed msgpack or JSON, a bad parameter."""

    code = "invalid_request"


class ValidationError(TrackletError, ValueError):
    code = "invalid_value"
    status = 400


class NotFoundError(TrackletError, LookupError):
    code = "not_found"
    status = 404


class ConflictError(TrackletError):
    code = "conflict"
    status = 409


class UnsupportedMediaTypeError(TrackletError):
    """A body in a content type or encoding the endpoint does not read."""

    code = "unsupported_media_type"
    status = 415


class StoreError(TrackletError):
    code = "store_error"
    status = 503


class RunLogError(TrackletError):
    code = "run_log_error"
    status = 500


class AuthError(TrackletError):
    code = "unauthorized"
    status = 401


class PermissionDeniedError(TrackletError):
    code = "forbidden"
    status = 403


class TooLargeError(TrackletError):
    code = "body_too_large"
    status = 413


class ServerUnavailableError(TrackletError):
    code = "server_unavailable"
    status = 503


_BY_STATUS: dict[int, type[TrackletError]] = {
    400: UsageError, 401: AuthError, 403: PermissionDeniedError, 404: NotFoundError,
    409: ConflictError, 413: TooLargeError, 503: ServerUnavailableError,
}


def _subclasses(cls: type[TrackletError]) -> list[type[TrackletError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


def error_class(code: str | None, status: int) -> type[TrackletError]:
    """The class for an error envelope's ``code`` (else the HTTP ``status``)."""
    for cls in _subclasses(TrackletError):
        if code is not None and cls.code == code:
            return cls
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerUnavailableError if status >= 500 else UsageError
