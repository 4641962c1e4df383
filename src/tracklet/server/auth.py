"""Who may call what. The one place that decides it, so accounts and teams can replace it.

For now a request is allowed to write when it carries ``Authorization: Bearer <key>``
with a key from ``ServerSettings.api_keys``; reads need the same unless the server was
started with ``public_reads``. Keys are compared in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tracklet.errors import AuthError
from tracklet.server.deps import get_settings
from tracklet.server.settings import ServerSettings

bearer = HTTPBearer(auto_error=False, description="An API key of this server.")


@dataclass(frozen=True)
class Caller:
    """Who made a request: ``None`` for an anonymous reader."""

    key_index: int | None

    @property
    def anonymous(self) -> bool:
        return self.key_index is None


def _match(key: str, accepted: tuple[str, ...]) -> int | None:
    found = None
    given = key.encode()
    for i, candidate in enumerate(accepted):  # no early exit: the time says nothing
        if hmac.compare_digest(given, candidate.encode()):
            found = i
    return found


def _caller(credentials: HTTPAuthorizationCredentials | None, settings: ServerSettings,
            *, write: bool) -> Caller:
    if credentials is not None:
        index = _match(credentials.credentials, tuple(settings.api_keys))
        if index is None:
            raise AuthError("the API key is not valid for this server; check it "
                            "(tracklet login) or ask the server's admin for one")
        return Caller(index)
    if not write and settings.public_reads:
        return Caller(None)
    raise AuthError("this needs an API key: send `Authorization: Bearer <key>`")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
Settings = Annotated[ServerSettings, Depends(get_settings)]


def reader(credentials: Credentials, settings: Settings) -> Caller:
    """Dependency of every read endpoint."""
    return _caller(credentials, settings, write=False)


def writer(credentials: Credentials, settings: Settings) -> Caller:
    """Dependency of every write endpoint."""
    return _caller(credentials, settings, write=True)


CanRead = Annotated[Caller, Depends(reader)]
CanWrite = Annotated[Caller, Depends(writer)]
