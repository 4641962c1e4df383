"""Accounts over HTTP: API keys (hashed, shown once, revocable), users, teams, visibility,
share links, browser login with a session cookie and CSRF protection."""

from __future__ import annotations

import hashlib

import pytest
from accounts_world import open_world
from server_helpers import AUTH
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.anyio


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(db_url: str) -> None:
    async with open_world(db_url) as world:
        c, bob = world.client, bearer(world.keys["bob"])
        made = await c.post("/api/v1/keys", json={"name": "laptop"}, headers=bob)
        assert made.status_code == 201
        key = made.json()["key"]
        assert key.startswith(made.json()["prefix"]) and len(key) > 40
        me = await c.get("/api/v1/auth/me", headers=bearer(key))
        assert me.json() == {"username": "bob", "admin": False, "via": "api_key",
                             "teams": [{"name": "acme", "role": "member"}]}
        listed = (await c.get("/api/v1/keys", headers=bob)).json()["items"]
        assert [k["name"] for k in listed] == ["", "old", "laptop"]
        assert all("key" not in k for k in listed)

        engine = create_engine(db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT * FROM api_keys")).all()
                sessions = conn.execute(text("SELECT * FROM share_links")).all()
        finally:
            engine.dispose()
        dump = repr(rows) + repr(sessions)
        for secret in (key, *world.keys.values(), *world.shares.values()):
            assert secret not in dump
        assert hashlib.sha256(key.encode()).hexdigest() in dump

        kid = made.json()["id"]
        eve = bearer(world.keys["eve"])
        assert (await c.delete(f"/api/v1/keys/{kid}", headers=eve)).status_code == 404
        assert (await c.get("/api/v1/auth/me", headers=bearer(key))).status_code == 200
        assert (await c.delete(f"/api/v1/keys/{kid}", headers=bob)).status_code == 204
        gone = await c.get("/api/v1/auth/me", headers=bearer(key))
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "unauthorized"
        revoked = (await c.get("/api/v1/keys", headers=bob)).json()["items"][-1]
        assert revoked["revoked_at"] is not None
        # static admin keys belong to no user: they cannot own keys
        assert (await c.post("/api/v1/keys", json={}, headers=AUTH)).status_code == 403


async def test_users_teams_and_visibility(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        bob, vic, eve = (bearer(world.keys[n]) for n in ("bob", "vic", "eve"))
        root = bearer(world.keys["root"])
        new_user = {"username": "carol", "password": "long enough"}
        assert (await c.post("/api/v1/users", json=new_user)).status_code == 401
        assert (await c.post("/api/v1/users", json=new_user, headers=bob)).status_code == 403
        made = await c.post("/api/v1/users", json=new_user, headers=root)
        assert made.status_code == 201 and made.json()["username"] == "carol"
        assert (await c.post("/api/v1/users", json=new_user, headers=root)).status_code == 409
        taken = await c.post("/api/v1/users", json={"username": "acme"}, headers=AUTH)
        assert taken.status_code == 409  # a team's name: one namespace of entities

        assert (await c.post("/api/v1/teams", json={"name": "lab"}, headers=bob)
                ).status_code == 201
        member = {"username": "vic", "role": "viewer"}
        assert (await c.post("/api/v1/teams/lab/members", json=member, headers=bob)
                ).status_code == 200
        me = (await c.get("/api/v1/auth/me", headers=vic)).json()
        assert me["teams"] == [{"name": "acme", "role": "viewer"},
                               {"name": "lab", "role": "viewer"}]
        promote = {"username": "vic", "role": "admin"}
        assert (await c.post("/api/v1/teams/lab/members", json=promote, headers=vic)
                ).status_code == 403
        assert (await c.post("/api/v1/teams/lab/members", json=promote, headers=eve)
                ).status_code == 404

        # visibility: team admins (not members) set it; then anyone reads, nobody anon writes
        url = "/api/v1/projects/acme/priv"
        assert (await c.patch(url, json={"visibility": "public"}, headers=bob)
                ).status_code == 403
        assert (await c.patch(url, json={"visibility": "public"}, headers=eve)
                ).status_code == 404
        assert (await c.patch(url, json={"visibility": "public"})).status_code == 401
        alice = bearer(world.keys["alice"])
        assert (await c.patch(url, json={"visibility": "public"}, headers=alice)
                ).status_code == 200
        assert (await c.get("/api/v1/runs/acme/priv/r1")).status_code == 200
        assert (await c.patch("/api/v1/runs/acme/priv/r1", json={"notes": "x"},
                              headers=eve)).status_code == 403
        assert (await c.patch(url, json={"visibility": "private"}, headers=alice)
                ).status_code == 200
        assert (await c.get("/api/v1/runs/acme/priv/r1", headers=eve)).status_code == 404


async def test_share_links_are_created_by_writers_and_revocable(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        body = {"entity": "acme", "project": "priv", "run_id": "r2"}
        for reader, status in (("vic", 403), ("eve", 404), ("anonymous", 401)):
            reply = await c.post("/api/v1/share", json=body, headers=world.headers(reader))
            assert reply.status_code == status, reader
        ghost = {**body, "run_id": "ghost"}
        assert (await c.post("/api/v1/share", json=ghost,
                             headers=world.headers("bob"))).status_code == 404
        made = await c.post("/api/v1/share", json=body, headers=world.headers("bob"))
        assert made.status_code == 201
        token, link_id = made.json()["token"], made.json()["id"]
        share = {"X-Tracklet-Share": token}
        assert (await c.get("/api/v1/runs/acme/priv/r2", headers=share)).status_code == 200
        assert (await c.get("/api/v1/runs/acme/priv/r1", headers=share)).status_code == 404
        assert (await c.delete(f"/api/v1/share/{link_id}",
                               headers=world.headers("eve"))).status_code == 404
        assert (await c.delete(f"/api/v1/share/{link_id}",
                               headers=world.headers("alice"))).status_code == 204
        assert (await c.get("/api/v1/runs/acme/priv/r2", headers=share)).status_code == 401


async def test_cookie_login_needs_csrf_for_writes(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        world.accounts.create_user("dana", password="correct horse")
        world.accounts.set_member("acme", "dana", "member")
        bad = await c.post("/api/v1/auth/login",
                           json={"username": "dana", "password": "wrong horse"})
        assert bad.status_code == 401 and "tracklet_session" not in c.cookies
        nobody = await c.post("/api/v1/auth/login",
                              json={"username": "zed", "password": "whatever"})
        assert nobody.status_code == 401
        login = await c.post("/api/v1/auth/login",
                             json={"username": "dana", "password": "correct horse"})
        assert login.status_code == 200
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        csrf = login.json()["csrf_token"]
        session = c.cookies["tracklet_session"]
        me = await c.get("/api/v1/auth/me")
        assert me.json()["username"] == "dana" and me.json()["via"] == "session"
        assert (await c.get("/api/v1/runs/acme/priv/r1")).status_code == 200

        url = "/api/v1/runs/acme/priv/r1"
        no_token = await c.patch(url, json={"notes": "by cookie"})
        assert no_token.status_code == 403
        assert no_token.json()["error"]["code"] == "forbidden"
        wrong = await c.patch(url, json={"notes": "x"}, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        ok = await c.patch(url, json={"notes": "by cookie"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["notes"] == "by cookie"

        assert (await c.post("/api/v1/auth/logout")).status_code == 403  # CSRF here too
        out = await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        stale = {"Cookie": f"tracklet_session={session}"}  # the old cookie: session ended
        c.cookies.clear()
        assert (await c.get("/api/v1/auth/me", headers=stale)).status_code == 401
