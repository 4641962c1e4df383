"""Managing accounts over HTTP: listing users, passwords, team members and their roles,
share links of a project."""

from __future__ import annotations

import pytest
from accounts_world import open_world

pytestmark = pytest.mark.anyio


async def test_site_admins_list_users(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        reply = await c.get("/api/v1/users", headers=world.headers("root"))
        assert reply.status_code == 200
        names = [u["username"] for u in reply.json()["items"]]
        assert names == ["alice", "bob", "eve", "root", "vic"]
        assert [u["is_admin"] for u in reply.json()["items"]] == [False] * 3 + [True, False]
        first = (await c.get("/api/v1/users", params={"limit": 2},
                             headers=world.headers("root"))).json()
        rest = (await c.get("/api/v1/users", params={"cursor": first["next_cursor"]},
                            headers=world.headers("root"))).json()
        assert [u["username"] for u in first["items"] + rest["items"]] == names
        assert (await c.get("/api/v1/users", headers=world.headers("alice"))).status_code == 403
        assert (await c.get("/api/v1/users")).status_code == 401


async def test_passwords_set_by_their_owner_or_a_site_admin(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        url = "/api/v1/users/bob/password"
        # with an API key, bob sets his first password
        assert (await c.put(url, json={"password": "first-secret"},
                            headers=world.headers("bob"))).status_code == 204
        login = await c.post("/api/v1/auth/login",
                             json={"username": "bob", "password": "first-secret"})
        assert login.status_code == 200
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        # in the browser, the present password is needed
        missing = await c.put(url, json={"password": "second-secret"}, headers=csrf)
        assert missing.status_code == 403
        assert "current_password" in missing.json()["error"]["message"]
        changed = await c.put(url, json={"password": "second-secret",
                                         "current_password": "first-secret"}, headers=csrf)
        assert changed.status_code == 204
        # every session of bob ended: the cookie no longer works
        assert (await c.get("/api/v1/auth/me")).status_code == 401
        c.cookies.clear()
        assert (await c.post("/api/v1/auth/login", json={
            "username": "bob", "password": "first-secret"})).status_code == 401
        assert (await c.post("/api/v1/auth/login", json={
            "username": "bob", "password": "second-secret"})).status_code == 200
        c.cookies.clear()
        # others may not; a site admin may; a short password is refused with the reason
        assert (await c.put(url, json={"password": "alice-was-here"},
                            headers=world.headers("alice"))).status_code == 404
        assert (await c.put(url, json={"password": "reset-by-root"},
                            headers=world.headers("root"))).status_code == 204
        short = await c.put(url, json={"password": "short"}, headers=world.headers("root"))
        assert short.status_code == 400
        assert "password" in short.text
        assert (await c.put("/api/v1/users/nobody/password", json={"password": "whatever1"},
                            headers=world.headers("root"))).status_code == 404


async def test_teams_and_members_are_listed_to_their_members(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        mine = (await c.get("/api/v1/teams", headers=world.headers("vic"))).json()["items"]
        assert [(t["name"], t["role"]) for t in mine] == [("acme", "viewer")]
        every = (await c.get("/api/v1/teams", headers=world.headers("root"))).json()["items"]
        assert [(t["name"], t["role"]) for t in every] == [("acme", None), ("evil", None)]
        members = await c.get("/api/v1/teams/acme/members", headers=world.headers("vic"))
        assert [(m["username"], m["role"]) for m in members.json()["items"]] == [
            ("alice", "admin"), ("bob", "member"), ("vic", "viewer")]
        outsider = await c.get("/api/v1/teams/acme/members", headers=world.headers("eve"))
        assert outsider.status_code == 404  # the team is not revealed
        assert (await c.get("/api/v1/teams")).status_code == 401


async def test_removing_members_keeps_an_admin(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        base = "/api/v1/teams/acme/members"
        assert (await c.delete(f"{base}/bob", headers=world.headers("vic"))).status_code == 403
        assert (await c.delete(f"{base}/bob", headers=world.headers("eve"))).status_code == 404
        assert (await c.delete(f"{base}/vic", headers=world.headers("vic"))).status_code == 204
        assert (await c.get("/api/v1/runs/acme/priv/r1",
                            headers=world.headers("vic"))).status_code == 404  # vic left
        last = await c.delete(f"{base}/alice", headers=world.headers("alice"))
        assert last.status_code == 409
        assert "no admin left" in last.json()["error"]["message"]
        demote = await c.post(base, json={"username": "alice", "role": "member"},
                              headers=world.headers("alice"))
        assert demote.status_code == 409
        assert (await c.post(base, json={"username": "bob", "role": "admin"},
                             headers=world.headers("alice"))).status_code == 200
        assert (await c.delete(f"{base}/alice", headers=world.headers("bob"))).status_code == 204
        left = (await c.get(base, headers=world.headers("bob"))).json()["items"]
        assert [(m["username"], m["role"]) for m in left] == [("bob", "admin")]
        assert (await c.delete(f"{base}/alice", headers=world.headers("bob"))).status_code == 404


async def test_writers_list_the_share_links_of_a_project(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        params = {"entity": "acme", "project": "priv"}
        made = await c.post("/api/v1/share", json={**params, "run_id": "r2"},
                            headers=world.headers("bob"))
        assert made.status_code == 201
        assert (await c.delete(f"/api/v1/share/{made.json()['id']}",
                               headers=world.headers("bob"))).status_code == 204
        listed = await c.get("/api/v1/share", params=params, headers=world.headers("bob"))
        assert listed.status_code == 200
        items = listed.json()["items"]
        assert [(i["run_id"], i["revoked_at"] is None) for i in items] == [
            ("r2", False), (None, True), ("r1", True)]
        assert all("token" not in i for i in items)
        assert (await c.get("/api/v1/share", params=params,
                            headers=world.headers("vic"))).status_code == 403
        assert (await c.get("/api/v1/share", params=params,
                            headers=world.headers("eve"))).status_code == 404
