"""The authorization matrix: every endpoint group x every kind of caller -> its status.

Callers: anonymous, a member of another team (eve), a viewer, a member and an admin of
the owning team, a site admin, a static admin key, a revoked key, and share-link tokens
for one run (r1) and for the whole project. A project the caller may not read is 404
(never 403: its existence is not revealed); credentials missing or wrong are 401.
"""

from __future__ import annotations

import pytest
from accounts_world import World, ingest, open_world

pytestmark = pytest.mark.anyio

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
    "series":     (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "series_r2":  (401, 404, 200, 200, 200, 200, 200, 401, 404, 200),
    "acked":      (401, 404, 403, 200, 200, 200, 200, 401, 401, 401),
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
    "series":     (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
}


async def call(world: World, group: str, caller: str, project: str, run: str) -> int:
    c, h = world.client, world.headers(caller)
    base = f"/api/v1/runs/acme/{project}"
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
    if group in ("history", "keys", "console"):
        return (await c.get(f"{base}/{run}/{group}", headers=h)).status_code
    target = "r2" if group == "series_r2" else run
    return (await c.get("/api/v1/series", params={"runs": f"acme/{project}/{target}",
                                                  "keys": "loss"}, headers=h)).status_code


@pytest.mark.parametrize(("project", "run", "table"),
                         [("priv", "r1", PRIVATE), ("pub", "p1", PUBLIC)],
                         ids=["private", "public"])
async def test_authorization_matrix(db_url: str, project: str, run: str,
                                    table: dict[str, tuple[int, ...]]) -> None:
    wrong = []
    async with open_world(db_url) as world:
        for group, expected in table.items():
            for caller, status in zip(CALLERS, expected, strict=True):
                got = await call(world, group, caller, project, run)
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
