"""Who is calling, and what they may read or write. The one place that decides it.

A request's :class:`Caller` comes from, in this order:

* ``Authorization: Bearer <key>``: one of ``ServerSettings.api_keys`` (static admin keys,
  compared in constant time) or an account's API key (stored hashed; revoked ones fail);
* else the browser session cookie (``tracklet_session``) set by ``POST /auth/login``;
  writes authenticated by the cookie must repeat the session's CSRF token in
  ``X-CSRF-Token`` (403 otherwise);
* and, with either or alone, a share-link token (``?share=`` or ``X-Tracklet-Share``):
  read-only access to one project or one run.

Rules (:class:`Access`): a site admin reads and writes everything; a user reads and
writes their own entity; a team's admins and members read and write the team's projects,
its viewers only read; anyone reads a ``public`` project (and every project when the
server runs with ``public_reads``); nobody anonymous writes. A caller who may not read a
project gets 404, as if it did not exist (401 when they sent no credentials at all); one
who may read but not write gets 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, Header, Query
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import Request

from tracklet.errors import AuthError, NotFoundError, PermissionDeniedError
from tracklet.server.deps import get_accounts, get_settings
from tracklet.server.settings import ServerSettings
from tracklet.store.accounts import (
    WRITE_ROLES,
    AccountStore,
    Role,
    ShareLink,
    User,
    same_hash,
)

SESSION_COOKIE = "tracklet_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(auto_error=False, description="An API key of this server.")
cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                      description="Browser session (POST /api/v1/auth/login); writes also "
                                  "need the `X-CSRF-Token` header.")

Via = Literal["anonymous", "static_key", "api_key", "session"]


@dataclass(frozen=True)
class Caller:
    """Who made a request. ``user`` is None for static admin keys and anonymous callers."""

    via: Via = "anonymous"
    user: User | None = None
    admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=dict)
    share: ShareLink | None = None

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    @property
    def username(self) -> str | None:
        return None if self.user is None else self.user.username


def _static_match(key: str, accepted: tuple[str, ...]) -> bool:
    found = False
    given = key.encode()
    for candidate in accepted:  # no early exit: the time says nothing
        if hmac.compare_digest(given, candidate.encode()):
            found = True
    return found


def _as_user(user: User, accounts: AccountStore, via: Via) -> Caller:
    return Caller(via=via, user=user, admin=user.is_admin, roles=accounts.roles_of(user.id))


def resolve_caller(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None,
                                          Depends(bearer)],
                   session: Annotated[str | None, Depends(cookie)],
                   settings: Annotated[ServerSettings, Depends(get_settings)],
                   accounts: Annotated[AccountStore, Depends(get_accounts)],
                   share: Annotated[str | None, Query(
                       description="A share-link token (read-only)")] = None,
                   x_tracklet_share: Annotated[str | None, Header(
                       description="A share-link token (read-only)")] = None) -> Caller:
    caller = Caller()
    if credentials is not None:
        key = credentials.credentials
        if _static_match(key, tuple(settings.api_keys)):
            caller = Caller(via="static_key", admin=True)
        else:
            user = accounts.user_for_key(key)
            if user is None:
                raise AuthError("the API key is not valid for this server (wrong or revoked); "
                                "check it (tracklet login) or create a new one")
            caller = _as_user(user, accounts, "api_key")
    elif session:
        found = accounts.get_session(session)
        if found is not None:  # a stale cookie is no credential: anonymous
            if request.method not in SAFE_METHODS:
                csrf = request.headers.get(CSRF_HEADER, "")
                if not csrf or not same_hash(csrf, found.csrf_hash):
                    raise PermissionDeniedError(
                        f"a write with the session cookie needs the {CSRF_HEADER} header "
                        "holding the csrf_token that login returned")
            caller = _as_user(found.user, accounts, "session")
    token = share or x_tracklet_share
    if token:
        link = accounts.share_link_for(token)
        if link is None:
            raise AuthError("the share link is not valid or was revoked")
        caller = Caller(via=caller.via, user=caller.user, admin=caller.admin,
                        roles=caller.roles, share=link)
    return caller


class Access:
    """What one caller may do, asked per project (and run)."""

    def __init__(self, caller: Caller, accounts: AccountStore,
                 settings: ServerSettings) -> None:
        self.caller = caller
        self.accounts = accounts
        self.settings = settings

    def owns(self, entity: str) -> bool:
        c = self.caller
        return c.admin or (c.username is not None and c.username == entity)

    def can_write(self, entity: str, project: str) -> bool:
        return self.owns(entity) or self.caller.roles.get(entity) in WRITE_ROLES

    def shared(self, entity: str, project: str, run_id: str | None) -> bool:
        link = self.caller.share
        return (link is not None and (link.entity, link.project) == (entity, project)
                and (link.run_id is None or link.run_id == run_id))

    def can_read(self, entity: str, project: str, run_id: str | None = None,
                 visibility: str | None = None) -> bool:
        if (self.owns(entity) or entity in self.caller.roles or self.settings.public_reads
                or self.shared(entity, project, run_id)):
            return True
        if visibility is not None:
            return visibility == "public"
        return self.accounts.get_visibility(entity, project) == "public"

    def require_read(self, entity: str, project: str, run_id: str | None = None) -> None:
        if self.can_read(entity, project, run_id):
            return
        if self.caller.anonymous and self.caller.share is None:
            raise AuthError("this needs an API key (`Authorization: Bearer <key>`) or a "
                            "login")
        self._not_found(entity, project, run_id)

    def require_write(self, entity: str, project: str) -> None:
        if self.can_write(entity, project):
            return
        if self.caller.anonymous:
            raise AuthError("writes need an API key: send `Authorization: Bearer <key>`")
        if not self.can_read(entity, project):
            self._not_found(entity, project, None)
        raise PermissionDeniedError(f"you may read {entity}/{project} but not write to it "
                                    "(a team viewer, or a public project)")

    def require_user(self) -> User:
        """The caller's account (401 without one; static keys have none)."""
        if self.caller.user is None:
            if self.caller.anonymous:
                raise AuthError("this needs an API key or a login")
            raise PermissionDeniedError("this needs a user's API key or login; the "
                                        "server's static keys belong to no user")
        return self.caller.user

    def require_admin(self) -> None:
        if self.caller.anonymous:
            raise AuthError("this needs an API key or a login")
        if not self.caller.admin:
            raise PermissionDeniedError("only a site admin may do this")

    def require_admin_of(self, entity: str) -> None:
        """The owning user, an admin of the team ``entity`` or a site admin (else 403)."""
        if not (self.owns(entity) or self.caller.roles.get(entity) == "admin"):
            raise PermissionDeniedError(f"only an admin of {entity} may do this")

    @staticmethod
    def _not_found(entity: str, project: str, run_id: str | None) -> None:
        what = f"run {entity}/{project}/{run_id}" if run_id else f"project {entity}/{project}"
        raise NotFoundError(f"no {what}")


def resolve_again(request: Request, settings: ServerSettings,
                  accounts: AccountStore) -> Caller:
    """The caller of ``request`` resolved anew from its credentials, for responses that last
    (a stream): a key revoked, a session ended or a share link withdrawn since shows."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    credentials = (HTTPAuthorizationCredentials(scheme=scheme, credentials=key.strip())
                   if scheme.lower() == "bearer" and key.strip() else None)
    return resolve_caller(request, credentials, request.cookies.get(SESSION_COOKIE), settings,
                          accounts, request.query_params.get("share"),
                          request.headers.get("x-tracklet-share"))


def access(caller: Annotated[Caller, Depends(resolve_caller)],
           accounts: Annotated[AccountStore, Depends(get_accounts)],
           settings: Annotated[ServerSettings, Depends(get_settings)]) -> Access:
    return Access(caller, accounts, settings)


Authorized = Annotated[Access, Depends(access)]


def project_reader(entity: str, project: str, auth: Authorized) -> Access:
    auth.require_read(entity, project)
    return auth


def run_reader(entity: str, project: str, run_id: str, auth: Authorized) -> Access:
    auth.require_read(entity, project, run_id)
    return auth


def project_writer(entity: str, project: str, auth: Authorized) -> Access:
    auth.require_write(entity, project)
    return auth


CanReadProject = Annotated[Access, Depends(project_reader)]
CanReadRun = Annotated[Access, Depends(run_reader)]
CanWriteProject = Annotated[Access, Depends(project_writer)]
