"""``/api/v1/auth``, ``/keys``, ``/users``, ``/teams``: login, API keys, accounts, teams."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tracklet.errors import AuthError, NotFoundError, PermissionDeniedError
from tracklet.server.account_schemas import (
    KeyIn,
    KeyList,
    LoginIn,
    LoginOut,
    MemberIn,
    MemberList,
    MemberOut,
    MeOut,
    NewKeyOut,
    PasswordIn,
    TeamIn,
    TeamList,
    TeamOut,
    UserIn,
    UserList,
    UserOut,
)
from tracklet.server.auth import SESSION_COOKIE, Access, Authorized
from tracklet.server.deps import get_accounts
from tracklet.server.pagination import page
from tracklet.server.responses import respond
from tracklet.server.routes.common import errors
from tracklet.store.accounts import ApiKey, User

SESSION_TTL = 14 * 24 * 3600.0
MAX_PAGE = 500
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")]

router = APIRouter(tags=["accounts"])


def _user_json(user: User) -> dict[str, Any]:
    return dataclasses.asdict(user)


def _key_json(key: ApiKey) -> dict[str, Any]:
    return dataclasses.asdict(key)


@router.post("/auth/login", response_model=LoginOut, responses=errors(400, 401, 503),
             summary="Log in (browser): sets the session cookie, returns the CSRF token",
             description="Sets `tracklet_session` (HttpOnly, SameSite=Lax, Secure over "
                         "HTTPS) for 14 days. Writes made with the cookie must send the "
                         "returned `csrf_token` as `X-CSRF-Token`.")
async def login(request: Request, body: LoginIn) -> Response:
    accounts = get_accounts(request)
    user = await run_in_threadpool(accounts.check_login, body.username, body.password)
    if user is None:
        raise AuthError("wrong username or password")
    token, csrf = accounts.create_session(user, ttl=SESSION_TTL)
    reply = respond(request, {"username": user.username, "csrf_token": csrf})
    reply.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_TTL), path="/",
                     httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return reply


@router.post("/auth/logout", status_code=204, responses=errors(401, 403, 503),
             summary="Log out: ends the session of the cookie")
def logout(request: Request, auth: Authorized) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if auth.caller.via == "session" and token:
        auth.accounts.delete_session(token)
    reply = Response(status_code=204)
    reply.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return reply


@router.get("/auth/me", response_model=MeOut, responses=errors(401, 503),
            summary="Who the credentials belong to")
def me(request: Request, auth: Authorized) -> Response:
    caller = auth.caller
    if caller.anonymous:
        raise AuthError("not logged in: send an API key or log in")
    return respond(request, {"username": caller.username, "admin": caller.admin,
                             "via": caller.via,
                             "teams": [{"name": t, "role": r}
                                       for t, r in sorted(caller.roles.items())]})


@router.post("/keys", response_model=NewKeyOut, status_code=201,
             responses=errors(400, 401, 403, 503),
             summary="Create an API key for yourself (the key is shown once)")
def create_key(request: Request, body: KeyIn, auth: Authorized) -> Response:
    user = auth.require_user()
    key, secret = auth.accounts.create_api_key(user.username, body.name)
    return respond(request, {**_key_json(key), "key": secret}, status_code=201)


@router.get("/keys", response_model=KeyList, responses=errors(401, 403, 503),
            summary="Your API keys (prefixes only, revoked ones included)")
def list_keys(request: Request, auth: Authorized) -> Response:
    user = auth.require_user()
    keys = auth.accounts.list_api_keys(user.username)
    return respond(request, {"items": [_key_json(k) for k in keys]})


@router.delete("/keys/{key_id}", status_code=204, responses=errors(401, 403, 404, 503),
               summary="Revoke an API key (yours; a site admin: anyone's)")
def revoke_key(key_id: int, auth: Authorized) -> Response:
    if auth.caller.anonymous:
        raise AuthError("this needs an API key or a login")
    try:
        key = auth.accounts.get_api_key(key_id)
    except NotFoundError:
        key = None
    if key is None or not (auth.caller.admin or key.username == auth.caller.username):
        raise NotFoundError(f"no API key {key_id} of yours")
    auth.accounts.revoke_api_key(key_id)
    return Response(status_code=204)


@router.post("/users", response_model=UserOut, status_code=201,
             responses=errors(400, 401, 403, 409, 503),
             summary="Create a user (site admins only)")
async def create_user(request: Request, body: UserIn, auth: Authorized) -> Response:
    auth.require_admin()
    user = await run_in_threadpool(auth.accounts.create_user, body.username,
                                   password=body.password, admin=body.admin)
    return respond(request, _user_json(user), status_code=201)


@router.get("/users", response_model=UserList, responses=errors(400, 401, 403, 503),
            summary="List users (site admins only)")
def list_users(request: Request, auth: Authorized, limit: Limit = 100,
               cursor: str | None = None) -> Response:
    auth.require_admin()
    users = [_user_json(u) for u in auth.accounts.list_users()]
    return respond(request, page(users, cursor, limit))


@router.put("/users/{username}/password", status_code=204,
            responses=errors(400, 401, 403, 404, 503),
            summary="Set a user's password for browser login",
            description="Your own (with a browser session, `current_password` is needed "
                        "too), or anyone's as a site admin. Every browser session of that "
                        "user ends; API keys stay valid.")
async def set_password(username: str, body: PasswordIn, auth: Authorized) -> Response:
    if auth.caller.anonymous:
        raise AuthError("this needs an API key or a login")
    if not (auth.caller.admin or auth.caller.username == username):
        raise NotFoundError(f"no user {username!r} you may manage")
    if auth.caller.via == "session" and not auth.caller.admin:
        current = body.current_password or ""
        if await run_in_threadpool(auth.accounts.check_login, username, current) is None:
            raise PermissionDeniedError("current_password is wrong or missing: give your "
                                        "present password to set a new one")
    await run_in_threadpool(auth.accounts.set_password, username, body.password)
    return Response(status_code=204)


@router.get("/teams", response_model=TeamList, responses=errors(400, 401, 503),
            summary="Your teams with your role (a site admin: every team)")
def list_teams(request: Request, auth: Authorized, limit: Limit = 100,
               cursor: str | None = None) -> Response:
    if auth.caller.anonymous:
        raise AuthError("this needs an API key or a login")
    roles = auth.caller.roles
    teams = [{**dataclasses.asdict(t), "role": roles.get(t.name)}
             for t in auth.accounts.list_teams() if auth.caller.admin or t.name in roles]
    return respond(request, page(teams, cursor, limit))


@router.post("/teams", response_model=TeamOut, status_code=201,
             responses=errors(400, 401, 409, 503),
             summary="Create a team; you become its admin")
def create_team(request: Request, body: TeamIn, auth: Authorized) -> Response:
    if auth.caller.anonymous:
        raise AuthError("this needs an API key or a login")
    team = auth.accounts.create_team(body.name, admin=auth.caller.username)
    return respond(request, dataclasses.asdict(team), status_code=201)


@router.post("/teams/{team}/members", response_model=MemberOut,
             responses=errors(400, 401, 403, 404, 409, 503),
             summary="Add a member to a team or change their role (team admins)",
             description="409 `conflict` when it would leave the team without an admin.")
def set_member(request: Request, team: str, body: MemberIn, auth: Authorized) -> Response:
    _team_of_yours(auth, team)
    auth.require_admin_of(team)
    auth.accounts.set_member(team, body.username, body.role)
    return respond(request, {"team": team, "username": body.username, "role": body.role})


def _team_of_yours(auth: Access, team: str) -> None:
    """404 unless the caller is in ``team`` (or a site admin): others do not see it."""
    if auth.caller.anonymous:
        raise AuthError("this needs an API key or a login")
    if not (auth.caller.admin or team in auth.caller.roles):
        raise NotFoundError(f"no team {team!r} of yours")
    auth.accounts.get_team(team)


@router.get("/teams/{team}/members", response_model=MemberList,
            responses=errors(400, 401, 404, 503),
            summary="The members of a team and their roles (its members may look)")
def list_members(request: Request, team: str, auth: Authorized, limit: Limit = 100,
                 cursor: str | None = None) -> Response:
    _team_of_yours(auth, team)
    members = [{"team": team, **dataclasses.asdict(m)}
               for m in auth.accounts.list_members(team)]
    return respond(request, page(members, cursor, limit))


@router.delete("/teams/{team}/members/{username}", status_code=204,
               responses=errors(401, 403, 404, 409, 503),
               summary="Remove a member (team admins; anyone may leave)",
               description="409 `conflict` when it would leave the team without an admin.")
def remove_member(team: str, username: str, auth: Authorized) -> Response:
    _team_of_yours(auth, team)
    if auth.caller.username != username:
        auth.require_admin_of(team)
    auth.accounts.remove_member(team, username)
    return Response(status_code=204)
