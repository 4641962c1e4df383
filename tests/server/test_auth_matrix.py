"""The authorization matrix: every endpoint group x every kind of caller -> its status.

Callers: anonymous, a member of another team (eve), a viewer, a member and an admin of
the owning team, a site admin, a static admin key, a revoked key, and share-link tokens
for one run (r1) and for the whole project. A project the caller may not read is 404
(never 403: its existence is not revealed); credentials missing or wrong are 401.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from accounts_world import BLOB, BLOB_DIGEST, World, commit_version, ingest, open_world
from server_helpers import AUTH, MSGPACK, Batches, encode, settings_for

from servers import ThreadServer
from tracklet.core import records as records_module
from tracklet.server import create_app
from tracklet.store.sql.engine import sqlite_url

pytestmark = pytest.mark.anyio

_names = itertools.count()
CALLERS = ["anonymous", "eve", "vic", "bob", "alice", "root", "static", "revoked",
           "share_run", "share_project"]

#                 anon eve  vic  bob  alice root static revoked share_run share_project
ARTIFACT_GROUPS = frozenset({
    "project_keys", "views_list", "views_save", "views_drop", "art_list", "art_versions", "art_get",
    "art_files", "art_lineage", "art_commit", "art_delete", "alias_set", "alias_drop",
    "usages", "run_artifacts", "run_file", "blobs_missing", "blob_state", "blob_put",
    "blob_get", "blob_download", "blob_batch", "blob_adopt"})
SWEEP_READS = ("sweep_list", "sweep_get", "sweep_runs", "sweep_stop")
SWEEP_WRITES = ("sweep_create", "sweep_claim", "sweep_state", "sweep_run_done")
SWEEP_CONFIG = {"method": "grid", "parameters": {"a": {"values": list(range(100))}}}
READS_PROJECT = (401, 404, 200, 200, 200, 200, 200, 401, 404, 200)
WRITES_PROJECT = (401, 404, 403, 200, 200, 200, 200, 401, 401, 401)
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
    "media":      (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "media_keys": (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    "media_blob": (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
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
    **{group: READS_PROJECT for group in (
        "project_keys", "views_list", "art_list", "art_versions", "art_get", "art_files",
        "art_lineage", "blob_get", "blob_download")},
    **{group: (401, 404, 200, 200, 200, 200, 200, 401, 200, 200)
       for group in ("run_artifacts", "run_file")},
    **{group: WRITES_PROJECT for group in (
        "views_save", "views_drop", "art_commit", "art_delete", "alias_set", "alias_drop",
        "usages", "blobs_missing", "blob_state", "blob_put", "blob_batch")},
    # writers reach the blob store, a local folder here: nothing to adopt (404)
    "blob_adopt": (401, 404, 403, 404, 404, 404, 404, 401, 401, 401),
    **{group: READS_PROJECT for group in SWEEP_READS},
    "run_sweep": (401, 404, 200, 200, 200, 200, 200, 401, 200, 200),
    **{group: WRITES_PROJECT for group in SWEEP_WRITES},
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
    "media":      (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "media_keys": (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "media_blob": (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "files":      (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "series":     (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "live":       (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "visibility": (401, 403, 403, 403, 200, 200, 200, 401, 401, 401),
    "share_make": (401, 403, 403, 201, 201, 201, 201, 401, 401, 401),
    **{group: (200, 200, 200, 200, 200, 200, 200, 401, 200, 200) for group in (
        "project_keys", "views_list", "art_list", "art_versions", "art_get", "art_files",
        "art_lineage", "blob_get", "blob_download", "run_artifacts", "run_file")},
    **{group: (401, 403, 403, 200, 200, 200, 200, 401, 401, 401) for group in (
        "views_save", "views_drop", "art_commit", "art_delete", "alias_set", "alias_drop",
        "usages", "blobs_missing", "blob_state", "blob_put", "blob_batch")},
    "blob_adopt": (401, 403, 403, 404, 404, 404, 404, 401, 401, 401),
    **{group: (200, 200, 200, 200, 200, 200, 200, 401, 200, 200)
       for group in (*SWEEP_READS, "run_sweep")},
    **{group: (401, 403, 403, 200, 200, 200, 200, 401, 401, 401) for group in SWEEP_WRITES},
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
    "blobs_gc":      (401, 403, 403, 403, 403, 200, 200, 401, 401, 401),
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
    if group in ARTIFACT_GROUPS:
        return await artifact_call(world, group, h, project, run)
    if group in (*SWEEP_READS, *SWEEP_WRITES, "run_sweep"):
        return await sweep_call(world, group, h, project, run)
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
    if group in ("history", "keys", "console", "files", "media"):
        return (await c.get(f"{base}/{run}/{group}", headers=h)).status_code
    if group == "media_keys":
        return (await c.get(f"{base}/{run}/media/keys", headers=h)).status_code
    if group == "media_blob":
        return await media_blob_call(world, h, project, run)
    target = "r2" if group == "series_r2" else run
    return (await c.get("/api/v1/series", params={"runs": f"acme/{project}/{target}",
                                                  "keys": "loss"}, headers=h)).status_code


async def artifact_call(world: World, group: str, h: dict[str, str], project: str,
                        run: str) -> int:
    """Saved views, artifacts, blobs and run files (seeded by ``open_world``). A write
    answers 200/201/204 when allowed: each is counted as 200 in the tables."""
    c = world.client
    base = f"/api/v1/artifacts/acme/{project}"
    blobs = f"/api/v1/artifact-blobs/acme/{project}"
    fresh = f"n{next(_names)}"
    octets = {**h, "Content-Type": "application/octet-stream"}
    if group == "project_keys":
        reply = await c.get(f"/api/v1/projects/acme/{project}/keys", headers=h)
        if reply.status_code == 200:
            assert reply.json()["items"] == ["loss"]
    elif group == "views_list":
        reply = await c.get(f"/api/v1/views/acme/{project}", headers=h)
    elif group == "views_save":
        reply = await c.put(f"/api/v1/views/acme/{project}/{fresh}", json={"spec": {}},
                            headers=h)
    elif group == "views_drop":
        await c.put(f"/api/v1/views/acme/{project}/{fresh}", json={"spec": {}}, headers=AUTH)
        reply = await c.delete(f"/api/v1/views/acme/{project}/{fresh}", headers=h)
    elif group == "art_list":
        reply = await c.get(base, headers=h)
    elif group == "art_versions":
        reply = await c.get(f"{base}/data/versions", headers=h)
    elif group in ("art_get", "art_files", "art_lineage"):
        tail = {"art_get": "", "art_files": "/files", "art_lineage": "/lineage"}[group]
        reply = await c.get(f"{base}/data/versions/latest{tail}", headers=h)
    elif group == "art_commit":
        reply = await c.post(f"{base}/{fresh}/versions", headers=h, json={
            "type": "dataset", "entries": [{"path": "a", "digest": BLOB_DIGEST,
                                            "size": len(BLOB)}]})
    elif group == "art_delete":
        version = await commit_version(c, project, "doomed", fresh)
        reply = await c.delete(f"{base}/doomed/versions/v{version['version']}", headers=h)
    elif group == "alias_set":
        reply = await c.put(f"{base}/data/aliases/best", json={"version": "v0"}, headers=h)
    elif group == "alias_drop":
        await c.put(f"{base}/data/aliases/{fresh}", json={"version": "v0"}, headers=AUTH)
        reply = await c.delete(f"{base}/data/aliases/{fresh}", headers=h)
    elif group == "usages":
        reply = await c.post(f"{base}/data/versions/latest/usages", headers=h,
                             json={"entity": "acme", "project": project, "run_id": run})
    elif group == "run_artifacts":
        reply = await c.get(f"/api/v1/runs/acme/{project}/{run}/artifacts", headers=h)
    elif group == "run_file":  # a redirect to the blob: allowed means 307
        reply = await c.get(f"/api/v1/runs/acme/{project}/{run}/files/notes.md", headers=h)
        return 200 if reply.status_code == 307 else reply.status_code
    elif group == "blobs_missing":
        reply = await c.post(f"{blobs}/missing", json={"digests": [BLOB_DIGEST]}, headers=h)
    elif group == "blob_state":
        reply = await c.get(f"{blobs}/{BLOB_DIGEST}/upload", headers=h)
    elif group == "blob_put":
        reply = await c.put(f"{blobs}/{BLOB_DIGEST}/upload", content=BLOB, headers=octets,
                            params={"offset": 0, "size": len(BLOB)})
    elif group == "blob_batch":
        index = json.dumps([[BLOB_DIGEST, len(BLOB)]]).encode()
        reply = await c.post(f"{blobs}/batch", headers=octets,
                             content=len(index).to_bytes(4, "big") + index + BLOB)
    elif group == "blob_adopt":
        reply = await c.post(f"{blobs}/{BLOB_DIGEST}/adopt", json={"token": "0" * 32},
                             headers=h)
    elif group == "blob_get":
        reply = await c.get(f"{blobs}/{BLOB_DIGEST}", headers=h)
        if reply.status_code == 200:
            assert reply.content == BLOB
    elif group == "blob_download":
        reply = await c.post(f"{blobs}/download", json={"digests": [BLOB_DIGEST]}, headers=h)
        if reply.status_code == 200:
            assert reply.content.endswith(BLOB)
    else:
        raise AssertionError(f"no call for {group}")
    return 200 if reply.status_code in (201, 204) else reply.status_code


async def sweep_call(world: World, group: str, h: dict[str, str], project: str,
                     run: str) -> int:
    """Sweeps: each call has a fresh sweep made with the admin key. A write answers
    200/201 when allowed: counted as 200."""
    c = world.client
    base = f"/api/v1/sweeps/acme/{project}"
    if group == "run_sweep":
        reply = await c.get(f"/api/v1/runs/acme/{project}/{run}/sweep", headers=h)
        if reply.status_code == 200:
            assert reply.json() == {"sweep_id": None}
        return reply.status_code
    if group == "sweep_create":
        reply = await c.post(base, json={"config": SWEEP_CONFIG}, headers=h)
        return 200 if reply.status_code == 201 else reply.status_code
    made = await c.post(base, json={"config": SWEEP_CONFIG}, headers=AUTH)
    assert made.status_code == 201, made.text
    sweep = f"{base}/{made.json()['sweep_id']}"
    if group == "sweep_list":
        reply = await c.get(base, headers=h)
    elif group == "sweep_get":
        reply = await c.get(sweep, headers=h)
    elif group == "sweep_runs":
        reply = await c.get(f"{sweep}/runs", headers=h)
    elif group == "sweep_stop":
        reply = await c.get(f"{sweep}/runs/r1/stop", headers=h)
        if reply.status_code == 200:
            assert reply.json() == {"stop": False}
    elif group == "sweep_claim":
        reply = await c.post(f"{sweep}/claim", json={"agent": "a"}, headers=h)
        if reply.status_code == 200:
            assert reply.json()["run"]["params"] == {"a": 0}
    elif group == "sweep_state":
        reply = await c.patch(sweep, json={"state": "paused"}, headers=h)
    else:
        claimed = await c.post(f"{sweep}/claim", json={}, headers=AUTH)
        run_id = claimed.json()["run"]["run_id"]
        reply = await c.patch(f"{sweep}/runs/{run_id}", json={"state": "finished"},
                              headers=h)
    return reply.status_code


IMAGE = b"the bytes of a logged image\n"
IMAGE_DIGEST = hashlib.sha256(IMAGE).hexdigest()
_with_image: set[tuple[int, str]] = set()


async def media_blob_call(world: World, h: dict[str, str], project: str, run: str) -> int:
    """The bytes of an image the run logged (uploaded and logged once per project with
    the static key, as the SDK's shipper does)."""
    c = world.client
    if (id(world), project) not in _with_image:
        _with_image.add((id(world), project))
        put = await c.put(f"/api/v1/artifact-blobs/acme/{project}/{IMAGE_DIGEST}/upload",
                          params={"offset": 0, "size": len(IMAGE)}, content=IMAGE,
                          headers={**AUTH, "Content-Type": "application/octet-stream"})
        assert put.status_code == 200, put.text
        b = Batches(run, project=project, entity="acme")
        image = {"_type": "image-file", "sha256": IMAGE_DIGEST, "size": len(IMAGE),
                 "width": 1, "height": 1, "format": "png",
                 "path": f"media/images/{IMAGE_DIGEST}.png"}
        records = [b.start(resumed=True), records_module.Media(b.seq + 1, b.ts, 0,
                                                               {"img": image})]
        sent = await c.post(b.url, content=encode(records), headers=MSGPACK)
        assert sent.status_code == 200, sent.text
    reply = await c.get(f"/api/v1/runs/acme/{project}/{run}/media/blobs/{IMAGE_DIGEST}",
                        headers=h)
    if reply.status_code == 200:
        assert reply.content == IMAGE and reply.headers["content-type"] == "image/png"
    return reply.status_code


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
    if group == "blobs_gc":
        return (await c.post("/api/v1/artifact-blobs/gc", headers=h)).status_code
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


# every operation of the OpenAPI spec -> the matrix row that checks it
COVERAGE = {
    ("GET", "/health"): "health",
    ("POST", "/ingest/{entity}/{project}/{run_id}/{segment}"): "ingest",
    ("GET", "/ingest/{entity}/{project}/{run_id}/{segment}"): "acked",
    ("GET", "/projects"): "projects list: test_projects_list_shows_what_each_caller_may_read",
    ("PATCH", "/projects/{entity}/{project}"): "visibility",
    ("GET", "/projects/{entity}/{project}/keys"): "project_keys",
    ("GET", "/runs/{entity}/{project}"): "runs_list",
    ("GET", "/runs/{entity}/{project}/{run_id}"): "run_get",
    ("PATCH", "/runs/{entity}/{project}/{run_id}"): "run_patch",
    ("DELETE", "/runs/{entity}/{project}/{run_id}"): "run_delete",
    ("GET", "/runs/{entity}/{project}/{run_id}/keys"): "keys",
    ("GET", "/runs/{entity}/{project}/{run_id}/history"): "history",
    ("GET", "/runs/{entity}/{project}/{run_id}/console"): "console",
    ("GET", "/runs/{entity}/{project}/{run_id}/media"): "media",
    ("GET", "/runs/{entity}/{project}/{run_id}/media/keys"): "media_keys",
    ("GET", "/runs/{entity}/{project}/{run_id}/media/blobs/{digest}"): "media_blob",
    ("GET", "/runs/{entity}/{project}/{run_id}/files"): "files",
    ("GET", "/runs/{entity}/{project}/{run_id}/files/{path}"): "run_file",
    ("GET", "/runs/{entity}/{project}/{run_id}/artifacts"): "run_artifacts",
    ("GET", "/series"): "series",
    ("GET", "/live"): "live",
    ("POST", "/auth/login"): "login: tests/server/test_accounts.py (no credentials needed)",
    ("POST", "/auth/logout"): "logout",
    ("GET", "/auth/me"): "me",
    ("POST", "/keys"): "keys_make",
    ("GET", "/keys"): "keys_list",
    ("DELETE", "/keys/{key_id}"): "key_drop_bobs",
    ("POST", "/users"): "users_make",
    ("GET", "/users"): "users_list",
    ("PUT", "/users/{username}/password"): "password_bobs",
    ("GET", "/teams"): "teams_list",
    ("POST", "/teams"): "teams_make",
    ("GET", "/teams/{team}/members"): "members_list",
    ("POST", "/teams/{team}/members"): "members_set",
    ("DELETE", "/teams/{team}/members/{username}"): "members_drop",
    ("POST", "/share"): "share_make",
    ("GET", "/share"): "share_list",
    ("DELETE", "/share/{link_id}"): "share_drop",
    ("GET", "/views/{entity}/{project}"): "views_list",
    ("PUT", "/views/{entity}/{project}/{name}"): "views_save",
    ("DELETE", "/views/{entity}/{project}/{name}"): "views_drop",
    ("GET", "/artifacts/{entity}/{project}"): "art_list",
    ("POST", "/sweeps/{entity}/{project}"): "sweep_create",
    ("GET", "/sweeps/{entity}/{project}"): "sweep_list",
    ("GET", "/sweeps/{entity}/{project}/{sweep_id}"): "sweep_get",
    ("PATCH", "/sweeps/{entity}/{project}/{sweep_id}"): "sweep_state",
    ("GET", "/sweeps/{entity}/{project}/{sweep_id}/runs"): "sweep_runs",
    ("POST", "/sweeps/{entity}/{project}/{sweep_id}/claim"): "sweep_claim",
    ("PATCH", "/sweeps/{entity}/{project}/{sweep_id}/runs/{run_id}"): "sweep_run_done",
    ("GET", "/runs/{entity}/{project}/{run_id}/sweep"): "run_sweep",
    ("GET", "/sweeps/{entity}/{project}/{sweep_id}/runs/{run_id}/stop"): "sweep_stop",
    ("POST", "/artifacts/{entity}/{project}/{name}/versions"): "art_commit",
    ("GET", "/artifacts/{entity}/{project}/{name}/versions"): "art_versions",
    ("GET", "/artifacts/{entity}/{project}/{name}/versions/{alias}"): "art_get",
    ("DELETE", "/artifacts/{entity}/{project}/{name}/versions/{alias}"): "art_delete",
    ("GET", "/artifacts/{entity}/{project}/{name}/versions/{alias}/files"): "art_files",
    ("PUT", "/artifacts/{entity}/{project}/{name}/aliases/{alias}"): "alias_set",
    ("DELETE", "/artifacts/{entity}/{project}/{name}/aliases/{alias}"): "alias_drop",
    ("POST", "/artifacts/{entity}/{project}/{name}/versions/{alias}/usages"): "usages",
    ("GET", "/artifacts/{entity}/{project}/{name}/versions/{alias}/lineage"): "art_lineage",
    ("POST", "/artifact-blobs/{entity}/{project}/missing"): "blobs_missing",
    ("GET", "/artifact-blobs/{entity}/{project}/{digest}/upload"): "blob_state",
    ("PUT", "/artifact-blobs/{entity}/{project}/{digest}/upload"): "blob_put",
    ("GET", "/artifact-blobs/{entity}/{project}/{digest}"): "blob_get",
    ("POST", "/artifact-blobs/{entity}/{project}/download"): "blob_download",
    ("POST", "/artifact-blobs/gc"): "blobs_gc",
    ("POST", "/artifact-blobs/{entity}/{project}/batch"): "blob_batch",
    ("POST", "/artifact-blobs/{entity}/{project}/{digest}/adopt"): "blob_adopt",
}


def test_every_endpoint_is_in_the_matrix(tmp_path: Path) -> None:
    """A new endpoint must get a row (or name the test that checks who may call it)."""
    app = create_app(settings_for(sqlite_url(tmp_path / "t.db")))
    operations = {(method.upper(), path.removeprefix("/api/v1"))
                  for path, ops in app.openapi()["paths"].items() for method in ops}
    assert sorted(operations - set(COVERAGE)) == [], "endpoints missing from the matrix"
    assert sorted(set(COVERAGE) - operations) == [], "the matrix names endpoints that are gone"
    rows = {*PRIVATE, *PUBLIC, *ACCOUNTS}
    unchecked = [g for g in COVERAGE.values() if ":" not in g and g not in rows]
    assert unchecked == []
