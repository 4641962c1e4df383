"""A server with accounts set up for the authorization tests: team `acme` (alice admin,
bob member, vic viewer), team `evil` (eve), a site admin `root`, projects and share links."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from server_helpers import AUTH, MSGPACK, Batches, encode, settings_for

from tracklet.server import create_app
from tracklet.store.accounts import AccountStore

CTYPE = {"Content-Type": "application/x-msgpack"}


@dataclass
class World:
    client: httpx.AsyncClient
    accounts: AccountStore
    keys: dict[str, str] = field(default_factory=dict)   # caller name -> bearer key
    shares: dict[str, str] = field(default_factory=dict)  # share name -> token
    live_url: str = ""  # the same database served over real HTTP, when a test needs one

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller.startswith("share_"):
            return {"X-Tracklet-Share": self.shares[caller]}
        return {"Authorization": f"Bearer {self.keys[caller]}"}


async def ingest(client: httpx.AsyncClient, entity: str, project: str, run_id: str,
                 headers: dict[str, str] | None = None) -> httpx.Response:
    """Post a small run; with the static admin key unless ``headers`` say otherwise."""
    b = Batches(run_id, project=project, entity=entity)
    records = [b.start(), b.history(0, {"loss": 1.0}), b.console("hello")]
    return await client.post(b.url, content=encode(records),
                             headers={**(MSGPACK if headers is None else CTYPE), **(headers or {})})


BLOB = b"hello artifacts\n"
BLOB_DIGEST = hashlib.sha256(BLOB).hexdigest()


async def commit_version(client: httpx.AsyncClient, project: str, name: str, path: str,
                         run_id: str | None = None) -> dict[str, Any]:
    """A version of artifact ``acme/project/name`` holding BLOB at ``path`` (static key)."""
    reply = await client.post(f"/api/v1/artifacts/acme/{project}/{name}/versions", json={
        "type": "dataset", "entries": [{"path": path, "digest": BLOB_DIGEST,
                                        "size": len(BLOB)}], "run_id": run_id},
        headers=AUTH)
    assert reply.status_code in (200, 201), reply.text
    return dict(reply.json()["version"])


async def seed_artifacts(client: httpx.AsyncClient, project: str, run_id: str) -> None:
    """Artifact `data` (v0, logged by the run) and the run's saved file `notes.md`."""
    reply = await client.put(f"/api/v1/artifact-blobs/acme/{project}/{BLOB_DIGEST}/upload",
                             params={"offset": 0, "size": len(BLOB)}, content=BLOB,
                             headers={**AUTH, "Content-Type": "application/octet-stream"})
    assert reply.status_code == 200, reply.text
    await commit_version(client, project, "data", "data.txt", run_id)
    await commit_version(client, project, f"run-{run_id}-files", "notes.md", run_id)


@contextlib.asynccontextmanager
async def open_world(db_url: str, **settings: Any) -> AsyncIterator[World]:
    app = create_app(settings_for(db_url, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracklet") as c:
            accounts: AccountStore = app.state.accounts
            world = World(c, accounts)
            for name in ("alice", "bob", "vic", "eve", "root"):
                accounts.create_user(name, admin=name == "root")
                world.keys[name] = accounts.create_api_key(name)[1]
            key, secret = accounts.create_api_key("bob", "old")
            accounts.revoke_api_key(key.id)
            world.keys["revoked"] = secret
            world.keys["static"] = AUTH["Authorization"].split()[1]
            accounts.create_team("acme", admin="alice")
            accounts.set_member("acme", "bob", "member")
            accounts.set_member("acme", "vic", "viewer")
            accounts.create_team("evil", admin="eve")
            for entity, project, run in (("acme", "priv", "r1"), ("acme", "priv", "r2"),
                                         ("acme", "pub", "p1"), ("acme", "other", "o1")):
                assert (await ingest(c, entity, project, run)).status_code == 200
            accounts.set_visibility("acme", "pub", "public")
            await seed_artifacts(c, "priv", "r1")
            await seed_artifacts(c, "pub", "p1")
            world.shares["share_run"] = accounts.create_share_link(
                "acme", "priv", "r1", created_by=None)[1]
            world.shares["share_project"] = accounts.create_share_link(
                "acme", "priv", None, created_by=None)[1]
            yield world
