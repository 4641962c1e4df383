"""The authorization matrix: every endpoint group x every kind of caller -> its status.

Callers: anonymous, a member of another team (eve), a viewer, a member and an admin of
the owning team, a site admin, a static admin key, a revoked key, and share-link tokens
for one run (r1) and for the whole project. A project the caller may not read is 404
(never 403: its existence is not revealed); credentials missing or wrong are 401.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from accounts_world import World, ingest, open_world

from servers import ThreadServer

pytestmark = pytest.mark.anyio

_names = itertools.count()
CALLERS = ["anonymous", "eve", "vic", "bob", "alice", "root", "static", "revoked",
           "share_run", "share_project"]

#                 anon eve  vic  bob  alice root static revoked share_run share_project
PRIVATE = {
    "ingest":     (401, 404, 403, 200, 200, 200, 200, 401, 401, 401),
    "runs_list":  (401, 404, 200, 200, 200, 200, 200, 401, 404, 200),
    "run_get":    (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "other_run":  (401, 404, 200, 200, 200, 200, 200, 401, 404, 200),
    "run_patch":  (401, 404, 403, 200, 200, 200, 200, 401, 401, 401),
    "run_delete": (401, 404, 403, 204, 204, 204, 204, 401, 401, 401),
    "history":    (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "keys":       (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "console":    (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "files":      (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "series":     (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "series_r2":  (401, 404, 200, 200, 200, 200, 200, 401, 404, 200),
    "live":       (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "live_r2":    (401, 404, 200, 200, 200, 200, 200, 401, 404, 200),
    "acked":      (401, 404, 403, 200, 200, 200, 200, 401, 401, 401),
    "visibility": (401, 404, 403, 403, 200, 200, 200, 401, 401, 401),
    "share_make": (401, 404, 403, 201, 201, 201, 201, 401, 401, 401),
    "share_list": (401, 404, 403, 200, 200, 200, 200, 401, 401, 401),
    "share_drop": (401, 404, 403, 204, 204, 204, 204, 401, 401, 401),
}
#                 anon eve  vic  bob  alice root static revoked share_run share_project
PUBLIC = {
    "ingest":     (401, 403, 403, 200, 200, 200, 200, 401, 401, 401),
    "runs_list":  (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "run_get":    (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "run_patch":  (401, 403, 403, 200, 200, 200, 200, 401, 401, 401),
    "run_delete": (401, 403, 403, 204, 204, 204, 204, 401, 401, 401),
    "history":    (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "console":    (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "files":      (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "series":     (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "live":       (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "visibility": (401, 403, 403, 403, 200, 200, 200, 401, 401, 401),
    "share_make": (401, 403, 403, 201, 201, 201, 201, 401, 401, 401),
}
# endpoints about accounts rather than one project; "bob's" key and password are bob's own
#                 anon eve  vic  bob  alice root static revoked share_run share_project
ACCOUNTS = {
    "me":            (401, 200, 200, 200, 200, 200, 200, 401, 401, 401),
    "logout":        (204, 204, 204, 204, 204, 204, 204, 401, 204, 204),
    "keys_list":     (401, 200, 200, 200, 200, 200, 403, 401, 401, 401),
    "keys_make":     (401, 201, 201, 201, 201, 201, 403, 401, 401, 401),
    "key_drop_bobs": (401, 404, 404, 204, 404, 204, 204, 401, 401, 401),
    "users_list":    (401, 403, 403, 403, 403, 200, 200, 401, 401, 401),
    "users_make":    (401, 403, 403, 403, 403, 201, 201, 401, 401, 401),
    "password_bobs": (401, 404, 404, 204, 404, 204, 204, 401, 401, 401),
    "teams_list":    (401, 200, 200, 200, 200, 200, 200, 401, 401, 401),
    "teams_make":    (401, 201, 201, 201, 201, 201, 201, 401, 401, 401),
    "members_list":  (401, 404, 200, 200, 200, 200, 200, 401, 401, 401),
    "members_set":   (401, 404, 403, 403, 200, 200, 200, 401, 401, 401),
    "members_drop":  (401, 404, 403, 403, 204, 204, 204, 401, 401, 401),
    "health":        (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "openapi":       (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
}


async def live_status(base_url: str, headers: dict[str, str], run: str) -> int:
    """The status of a live stream over real HTTP (the in-process transport cannot stream):
    only the head is read."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as c, c.stream(
            "GET", "/api/v1/live", params={"runs": run, "keys": "loss"},
            headers=headers) as reply:
        return reply.status_code


async def call(world: World, group: str, caller: str, project: str, run: str) -> int:
    c, h = world.client, world.headers(caller)
    base = f"/api/v1/runs/acme/{project}"
    if group in ("live", "live_r2"):
        target = "r2" if group == "live_r2" else run
        return await live_status(world.live_url, h, f"acme/{project}/{target}")
    if group == "visibility":
        current = "public" if project == "pub" else "private"
        return (await c.patch(f"/api/v1/projects/acme/{project}",
                              json={"visibility": current}, headers=h)).status_code
    if group == "share_make":
        return (await c.post("/api/v1/share", json={"entity": "acme", "project": project},
                             headers=h)).status_code
    if group == "share_list":
        return (await c.get("/api/v1/share", params={"entity": "acme", "project": project},
                            headers=h)).status_code
    if group == "share_drop":
        link, _ = world.accounts.create_share_link("acme", project, None, created_by=None)
        return (await c.delete(f"/api/v1/share/{link.id}", headers=h)).status_code
    if group == "ingest":
        return (await ingest(c, "acme", project, f"new-{caller}", h)).status_code
    if group == "acked":
        return (await c.get(f"/api/v1/ingest/acme/{project}/{run}/seg0", headers=h)
                ).status_code
    if group == "runs_list":
        return (await c.get(base, headers=h)).status_code
    if group == "run_get":
        return (await c.get(f"{base}/{run}", headers=h)).status_code
    if group == "other_run":
        return (await c.get(f"{base}/r2", headers=h)).status_code
    if group == "run_patch":
        return (await c.patch(f"{base}/{run}", json={"notes": caller}, headers=h)
                ).status_code
    if group == "run_delete":
        victim = f"del-{caller}"
        assert (await ingest(c, "acme", project, victim)).status_code == 200
        return (await c.delete(f"{base}/{victim}", headers=h)).status_code
    if group in ("history", "keys", "console", "files"):
        return (await c.get(f"{base}/{run}/{group}", headers=h)).status_code
    target = "r2" if group == "series_r2" else run
    return (await c.get("/api/v1/series", params={"runs": f"acme/{project}/{target}",
                                                  "keys": "loss"}, headers=h)).status_code


async def account_call(world: World, group: str, caller: str) -> int:
    c, h = world.client, world.headers(caller)
    fresh = f"{group.replace('_', '')}{next(_names)}"
    if group == "me":
        return (await c.get("/api/v1/auth/me", headers=h)).status_code
    if group == "logout":
        return (await c.post("/api/v1/auth/logout", headers=h)).status_code
    if group == "keys_list":
        return (await c.get("/api/v1/keys", headers=h)).status_code
    if group == "keys_make":
        return (await c.post("/api/v1/keys", json={"name": "x"}, headers=h)).status_code
    if group == "key_drop_bobs":
        key, _ = world.accounts.create_api_key("bob", "to revoke")
        return (await c.delete(f"/api/v1/keys/{key.id}", headers=h)).status_code
    if group == "users_list":
        return (await c.get("/api/v1/users", headers=h)).status_code
    if group == "users_make":
        return (await c.post("/api/v1/users", json={"username": fresh},
                             headers=h)).status_code
    if group == "password_bobs":
        return (await c.put("/api/v1/users/bob/password", json={"password": "long enough"},
                            headers=h)).status_code
    if group == "teams_list":
        return (await c.get("/api/v1/teams", headers=h)).status_code
    if group == "teams_make":
        return (await c.post("/api/v1/teams", json={"name": fresh}, headers=h)).status_code
    if group == "members_list":
        return (await c.get("/api/v1/teams/acme/members", headers=h)).status_code
    world.accounts.create_user(fresh)
    if group == "members_set":
        return (await c.post("/api/v1/teams/acme/members",
                             json={"username": fresh, "role": "viewer"},
                             headers=h)).status_code
    if group == "members_drop":
        world.accounts.set_member("acme", fresh, "viewer")
        return (await c.delete(f"/api/v1/teams/acme/members/{fresh}",
                               headers=h)).status_code
    path = {"health": "/api/v1/health", "openapi": "/api/v1/openapi.json"}[group]
    return (await c.get(path, headers=h)).status_code


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    """The accounts world, plus the same database served over real HTTP for streams."""
    async with open_world(db_url) as world:
        with ThreadServer(db_url, api_keys=[world.keys["static"]]) as real:
            world.live_url = real.base_url
            yield world


@pytest.mark.parametrize(("project", "run", "table"),
                         [("priv", "r1", PRIVATE), ("pub", "p1", PUBLIC)],
                         ids=["private", "public"])
async def test_authorization_matrix(world: World, project: str, run: str,
                                    table: dict[str, tuple[int, ...]]) -> None:
    wrong = []
    for group, expected in table.items():
        for caller, status in zip(CALLERS, expected, strict=True):
            got = await call(world, group, caller, project, run)
            if got != status:
                wrong.append(f"{group} as {caller}: {got}, expected {status}")
    assert wrong == []


async def test_authorization_matrix_of_accounts(world: World) -> None:
    wrong = []
    for group, expected in ACCOUNTS.items():
        for caller, status in zip(CALLERS, expected, strict=True):
            got = await account_call(world, group, caller)
            if got != status:
                wrong.append(f"{group} as {caller}: {got}, expected {status}")
    assert wrong == []


async def test_projects_list_shows_what_each_caller_may_read(db_url: str) -> None:
    everything = {"acme/priv", "acme/pub", "acme/other"}
    expected = {"anonymous": {"acme/pub"}, "eve": {"acme/pub"}, "vic": everything,
                "bob": everything, "alice": everything, "root": everything,
                "static": everything, "share_run": {"acme/pub"},
                "share_project": {"acme/pub", "acme/priv"}}
    async with open_world(db_url) as world:
        for caller, names in expected.items():
            reply = await world.client.get("/api/v1/projects", headers=world.headers(caller))
            assert reply.status_code == 200, (caller, reply.text)
            got = {f"{p['entity']}/{p['name']}" for p in reply.json()["items"]}
            assert got == names, caller
        reply = await world.client.get("/api/v1/projects", headers=world.headers("revoked"))
        assert reply.status_code == 401


async def test_share_tokens_read_only_their_target(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        for name in ("share_run", "share_project"):
            h = world.headers(name)
            assert (await c.get("/api/v1/runs/acme/other", headers=h)).status_code == 404
            assert (await c.get("/api/v1/runs/acme/other/o1", headers=h)).status_code == 404
            # as a query parameter too
            token = world.shares[name]
            assert (await c.get("/api/v1/runs/acme/priv/r1",
                                params={"share": token})).status_code == 200
        reply = await c.get("/api/v1/runs/acme/priv/r1", params={"share": "made-up"})
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "unauthorized"
