"""``ServerClient``: requests to a Tracklet server's ``/api/v1``, with bounded retries.

A reply that is not a success becomes the ``TrackletError`` class its error envelope
names (``errors.error_class``), so callers catch the same exceptions as against the local
store. A server that cannot be reached, times out, or answers 429/5xx is tried again with
exponential backoff and jitter, a bounded number of times; then the last error is raised
(``ServerUnavailableError`` when there was no answer at all). Nothing here sleeps for
long: whoever calls decides whether to try again later (the ``LogFollower`` does).

The network is an injectable ``httpx`` transport, so tests can put a fault-injecting
``httpx.MockTransport`` in front of a real server.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tracklet import __version__
from tracklet.core.urls import normalize_url
from tracklet.errors import AuthError, ServerUnavailableError, TrackletError, error_class

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
API = "/api/v1"


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; before try n+1 wait ``base * 2**n`` seconds (at most
    ``cap``), half of it fixed and half random (jitter), so clients spread out."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 4.0

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        step = min(self.cap, self.base * 2.0 ** attempt)
        return step / 2 + rng() * step / 2


class ServerClient:
    """One server, one API key (optional for reads of public projects)."""

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: Callable[[], float] = random.random) -> None:
        self.base_url = normalize_url(base_url)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng
        headers = {"User-Agent": f"tracklet/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(base_url=self.base_url + API, headers=headers,
                                  transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))

    def request(self, method: str, path: str, *,
                params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
                content: bytes | None = None, headers: Mapping[str, str] | None = None,
                retry: bool = True) -> httpx.Response:
        """Send a request (``path`` is below ``/api/v1``); the successful response."""
        attempts = self.retry.attempts if retry else 1
        failure: TrackletError | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.retry.delay(attempt - 1, self._rng))
            try:
                response = self._http.request(method, path, params=params, content=content,
                                              headers=headers)
            except httpx.TransportError as exc:
                failure = ServerUnavailableError(
                    f"cannot reach the Tracklet server at {self.base_url} "
                    f"({type(exc).__name__}: {exc or 'no details'})")
                continue
            if response.is_success:
                return response
            failure = self._error(response)
            if response.status_code not in RETRY_STATUSES:
                break
        assert failure is not None
        raise failure

    def get_json(self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None
                 = None) -> Any:
        return self.request("GET", path, params=params).json()

    def _error(self, response: httpx.Response) -> TrackletError:
        status = response.status_code
        code: str | None = None
        message = ""
        details: dict[str, Any] = {}
        try:
            body = response.json()
            envelope = body.get("error") if isinstance(body, dict) else None
            if isinstance(envelope, dict):
                code = envelope.get("code")
                message = str(envelope.get("message") or "")
                details = envelope.get("details") or {}
        except ValueError:  # not JSON: a proxy's error page, say
            pass
        if not message:
            message = response.reason_phrase or f"HTTP {status}"
        cls = error_class(code, status)
        label = f"{status} {code}" if code else str(status)
        if cls is AuthError or status == 401:
            text = (f"the server at {self.base_url} refused the API key ({label}: "
                    f"{message}); check it with `tracklet login --relogin --host "
                    f"{self.base_url}` or TRACKLET_API_KEY")
        elif status >= 500:
            text = f"the server at {self.base_url} failed ({label}: {message})"
        else:
            text = message
        error = cls(text, details=details if isinstance(details, dict) else {})
        if code and code != cls.code:
            error.code = code  # keep the server's own code for programs
        error.status = status
        return error

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
