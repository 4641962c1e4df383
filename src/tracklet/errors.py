"""The exception tree of Tracklet.

Every error raised on purpose derives from :class:`TrackletError`, carries a stable
``code`` (for the HTTP error envelope and for programs), an HTTP ``status`` and a message
that is safe to show and says what to do::

    TrackletError                    tracklet_error        500
    ├── UsageError                   usage_error           400   wrong call order or arguments
    │   ├── NotInitializedError  not_initialized       400   log() before init()
    │   └── RunFinishedError     run_finished          400   log() after finish()
    ├── ValidationError              invalid_value         400   a key or value we cannot store
    ├── NotFoundError                not_found             404   no such project, run, ...
    ├── ConflictError                conflict              409   resume="never", id taken
    ├── StoreError                   store_error           503   the database failed (retryable)
    └── RunLogError                  run_log_error         500   a run log that cannot be read

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


class ValidationError(TrackletError, ValueError):
    code = "invalid_value"
    status = 400


class NotFoundError(TrackletError, LookupError):
    code = "not_found"
    status = 404


class ConflictError(TrackletError):
    code = "conflict"
    status = 409


class StoreError(TrackletError):
    code = "store_error"
    status = 503


class RunLogError(TrackletError):
    code = "run_log_error"
    status = 500
