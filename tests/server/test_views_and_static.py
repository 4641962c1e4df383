"""Saved dashboard views (``/api/v1/views``) and the web bundle served at ``/``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from server_helpers import AUTH, Batches, encode, open_client, settings_for

from tracklet.server.static import WEB_DIST_ENV
from tracklet.store.sql.engine import sqlite_url

pytestmark = pytest.mark.anyio


async def _project(client: httpx.AsyncClient) -> Batches:
    b = Batches()
    reply = await client.post(b.url, content=encode([b.start()]),
                              headers={**AUTH, "Content-Type": "application/x-msgpack"})
    assert reply.status_code == 200
    return b


async def test_views_are_saved_listed_replaced_and_deleted(client: httpx.AsyncClient) -> None:
    b = await _project(client)
    base = f"/api/v1/views/{b.entity}/{b.project}"
    assert (await client.get(base, headers=AUTH)).json() == {"items": []}
    spec = {"panels": [{"key": "train/loss", "w": 2}], "x": "_step"}
    saved = await client.put(f"{base}/main", json={"spec": spec}, headers=AUTH)
    assert saved.status_code == 200
    assert saved.json()["spec"] == spec and saved.json()["name"] == "main"
    spec2 = {"panels": [{"key": "eval/accuracy", "w": 1}]}
    await client.put(f"{base}/main", json={"spec": spec2}, headers=AUTH)
    await client.put(f"{base}/other", json={"spec": {}}, headers=AUTH)
    listed = (await client.get(base, headers=AUTH)).json()["items"]
    assert [(v["name"], v["spec"]) for v in listed] == [("main", spec2), ("other", {})]
    assert (await client.delete(f"{base}/other", headers=AUTH)).status_code == 204
    gone = await client.delete(f"{base}/other", headers=AUTH)
    assert gone.status_code == 404 and "no view 'other'" in gone.json()["error"]["message"]
    assert [v["name"] for v in (await client.get(base, headers=AUTH)).json()["items"]] == [
        "main"]


async def test_views_need_a_key_to_write_and_bound_the_spec(
        sqlite_client: httpx.AsyncClient) -> None:
    b = await _project(sqlite_client)
    url = f"/api/v1/views/{b.entity}/{b.project}/v"
    anonymous = await sqlite_client.put(url, json={"spec": {}})
    assert anonymous.status_code == 401
    huge = await sqlite_client.put(url, json={"spec": {"x": "a" * 300_000}}, headers=AUTH)
    assert huge.status_code == 400 and "drop some panels" in huge.json()["error"]["message"]
    bad = await sqlite_client.put(url, json={"spec": [1, 2]}, headers=AUTH)
    assert bad.status_code == 400


async def test_bundle_served_at_root_with_spa_fallback_never_shadowing_the_api(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html><body>tracklet app</body></html>")
    (dist / "assets" / "app-1234.js").write_text("console.log('hi')")
    (tmp_path / "secret.txt").write_text("not for you")
    monkeypatch.setenv(WEB_DIST_ENV, str(dist))
    async with open_client(settings_for(sqlite_url(tmp_path / "t.db"))) as client:
        root = await client.get("/")
        assert root.status_code == 200 and "tracklet app" in root.text
        deep = await client.get("/alice/mnist/runs/x1?zoom=1,2")
        assert deep.status_code == 200 and "tracklet app" in deep.text
        asset = await client.get("/assets/app-1234.js")
        assert asset.text == "console.log('hi')"
        assert "immutable" in asset.headers["cache-control"]
        missing = await client.get("/assets/nope.js")
        assert missing.status_code == 404
        escape = await client.get("/..%2fsecret.txt")
        assert "not for you" not in escape.text
        api = await client.get("/api/v1/no-such-thing", headers=AUTH)
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        health = await client.get("/api/v1/health")
        assert health.json() == {"status": "ok"}
        post = await client.post("/somewhere")
        assert post.status_code in (404, 405)


async def test_without_a_bundle_root_says_how_to_build_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEB_DIST_ENV, str(tmp_path / "missing"))
    async with open_client(settings_for(sqlite_url(tmp_path / "t.db"))) as client:
        reply = await client.get("/")
        assert reply.status_code == 200 and "make web" in reply.text
