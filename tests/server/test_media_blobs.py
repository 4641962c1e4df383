"""Image bytes of logged media: a digest alone never opens another team's image."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from accounts_world import open_world
from server_helpers import AUTH, MSGPACK, Batches, encode

from tracklet.core import records as r

pytestmark = pytest.mark.anyio

IMAGE = b"pretend these are the bytes of a private png\n"
DIGEST = hashlib.sha256(IMAGE).hexdigest()
IMAGE_JSON = {"_type": "image-file", "sha256": DIGEST, "size": len(IMAGE), "width": 1,
              "height": 1, "format": "png", "path": f"media/images/{DIGEST}.png"}


async def log_image(c: httpx.AsyncClient, entity: str, project: str, run_id: str,
                    headers: dict[str, str]) -> None:
    """A run whose media record names the image (as the SDK's shipper sends it)."""
    b = Batches(run_id, project=project, entity=entity)
    records = [b.start(), r.Media(b.seq + 1, b.ts, 0, {"img": dict(IMAGE_JSON)})]
    reply = await c.post(b.url, content=encode(records),
                         headers={**headers, "Content-Type": MSGPACK["Content-Type"]})
    assert reply.status_code == 200, reply.text


async def upload(c: httpx.AsyncClient, entity: str, project: str,
                 headers: dict[str, str]) -> None:
    reply = await c.put(f"/api/v1/artifact-blobs/{entity}/{project}/{DIGEST}/upload",
                        params={"offset": 0, "size": len(IMAGE)}, content=IMAGE,
                        headers={**headers, "Content-Type": "application/octet-stream"})
    assert reply.status_code == 200, reply.text


async def test_a_digest_alone_opens_no_other_teams_image(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        eve = world.headers("eve")
        await upload(c, "acme", "priv", AUTH)
        await log_image(c, "acme", "priv", "r1", AUTH)
        blob = f"/api/v1/runs/acme/priv/r1/media/blobs/{DIGEST}"
        assert (await c.get(blob, headers=world.headers("vic"))).content == IMAGE

        # eve, of another team, cannot read it through acme's run ...
        assert (await c.get(blob, headers=eve)).status_code == 404
        # ... nor by logging the digest in a run of her own team's project
        await log_image(c, "evil", "mine", "e1", eve)
        mine = f"/api/v1/runs/evil/mine/e1/media/blobs/{DIGEST}"
        reply = await c.get(mine, headers=eve)
        assert reply.status_code == 404
        assert "has no stored image" in reply.json()["error"]["message"]
        # her shipper is told the server lacks the bytes for her project: she must send them
        lacking = await c.post("/api/v1/artifact-blobs/evil/mine/missing",
                               json={"digests": [DIGEST]}, headers=eve)
        assert lacking.json()["missing"] == [DIGEST]
        # having the bytes is the proof: once uploaded, her own run serves them
        await upload(c, "evil", "mine", eve)
        assert (await c.get(mine, headers=eve)).content == IMAGE
        assert (await c.get(blob, headers=eve)).status_code == 404  # acme's stays closed


async def test_a_run_serves_only_the_images_it_logged(db_url: str) -> None:
    async with open_world(db_url) as world:
        c = world.client
        await upload(c, "acme", "priv", AUTH)
        await log_image(c, "acme", "priv", "r1", AUTH)
        # r2 of the same project never logged the image: 404, though the project holds it
        other = await c.get(f"/api/v1/runs/acme/priv/r2/media/blobs/{DIGEST}", headers=AUTH)
        assert other.status_code == 404
        bad = await c.get("/api/v1/runs/acme/priv/r1/media/blobs/not-a-digest", headers=AUTH)
        assert bad.status_code == 400, bad.text
