"""Every failure is the error envelope with the right status; keys are checked."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import AUTH, KEY, MSGPACK, Batches, encode, open_client, settings_for

from tracklet.server import create_app
from tracklet.store.sql.engine import sqlite_url

pytestmark = pytest.mark.anyio


def error(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


async def test_writes_and_reads_need_a_valid_key(sqlite_client: httpx.AsyncClient) -> None:
    b = Batches()
    body = encode([b.start()])
    ctype = {"Content-Type": "application/x-msgpack"}
    missing = await sqlite_client.post(b.url, content=body, headers=ctype)
    assert error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await sqlite_client.post(b.url, content=body,
                                     headers={**ctype, "Authorization": "Bearer nope"})
    error(wrong, 401, "unauthorized")
    not_bearer = await sqlite_client.post(b.url, content=body,
                                          headers={**ctype, "Authorization": f"Basic {KEY}"})
    error(not_bearer, 401, "unauthorized")
    for path in ("/api/v1/runs/team/proj", "/api/v1/runs/team/proj/x"):
        error(await sqlite_client.get(path), 401, "unauthorized")
    assert (await sqlite_client.post(b.url, content=body, headers=MSGPACK)).status_code == 200
    anonymous = await sqlite_client.get("/api/v1/projects")  # only public projects
    assert anonymous.status_code == 200 and anonymous.json()["items"] == []
    error(await sqlite_client.delete(f"/api/v1/runs/{b.path}"), 401, "unauthorized")
    error(await sqlite_client.patch(f"/api/v1/runs/{b.path}", json={"name": "x"}), 401,
          "unauthorized")
    health = await sqlite_client.get("/api/v1/health")
    assert health.json() == {"status": "ok"}


async def test_public_reads_stay_read_only(tmp_path: Path) -> None:
    settings = settings_for(sqlite_url(tmp_path / "t.db"), public_reads=True)
    async with open_client(settings) as client:
        b = Batches()
        await client.post(b.url, content=encode([b.start()]), headers=MSGPACK)
        listed = await client.get("/api/v1/runs/team/proj")
        assert [r["run_id"] for r in listed.json()["items"]] == [b.run_id]
        error(await client.post(b.url, content=encode([b.start()]),
                                headers={"Content-Type": "application/x-msgpack"}),
              401, "unauthorized")
        error(await client.delete(f"/api/v1/runs/{b.path}"), 401, "unauthorized")
        error(await client.get("/api/v1/projects", headers={"Authorization": "Bearer bad"}),
              401, "unauthorized")


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(sqlite_url(tmp_path / "t.db"), max_body_bytes=4096,
                            max_batch_records=10)
    async with open_client(settings) as client:
        yield client


async def test_oversized_bodies_get_413(small: httpx.AsyncClient) -> None:
    b = Batches()
    big = encode([b.start(), b.history(0, {f"k{i}": float(i) for i in range(500)})])
    assert len(big) > 4096
    found = error(await small.post(b.url, content=big, headers=MSGPACK), 413,
                  "body_too_large")
    assert found["details"] == {"max_body_bytes": 4096}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    error(await small.post(b.url, content=chunks(), headers=MSGPACK), 413, "body_too_large")
    bomb = gzip.compress(b"\x00" * 100_000)  # small on the wire, large inflated
    assert len(bomb) < 4096
    error(await small.post(b.url, content=bomb,
                           headers={**MSGPACK, "Content-Encoding": "gzip"}),
          413, "body_too_large")
    error(await small.patch(f"/api/v1/runs/{b.path}", headers=AUTH,
                            json={"notes": "x" * 5000}), 413, "body_too_large")
    # nothing of it was stored
    assert (await small.get(b.url, headers=AUTH)).json() == {"acked": 0}


async def test_too_many_records_get_413(small: httpx.AsyncClient) -> None:
    b = Batches()
    records = [b.start(), *(b.history(s, {"x": 1.0}) for s in range(10))]
    found = error(await small.post(b.url, content=encode(records), headers=MSGPACK), 413,
                  "body_too_large")
    assert found["details"]["max_batch_records"] == 10
    ok = await small.post(b.url, content=encode(records[:10]), headers=MSGPACK)
    assert ok.json() == {"acked": 10}


async def test_malformed_bodies_and_parameters_get_400(
        sqlite_client: httpx.AsyncClient) -> None:
    b = Batches()
    for garbage in (b"\xc1\xc1\xc1", b"\x92\x01\x02", b"", b"not msgpack at all"):
        error(await sqlite_client.post(b.url, content=garbage, headers=MSGPACK), 400,
              "invalid_request")
    error(await sqlite_client.post(b.url, content=b"\x1f\x8b garbage",
                                   headers={**MSGPACK, "Content-Encoding": "gzip"}),
          400, "invalid_request")
    runs = "/api/v1/runs/team/proj"
    for filters in ("{not json", "[1, 2]", json.dumps({"config.lr": {"$regex": "a"}}),
                    json.dumps({"config.lr": {"$in": 5}}), json.dumps({"config.a": {"b": 1}}),
                    json.dumps({'config.x"y': 1}), '{"config.lr": NaN}'):
        found = error(await sqlite_client.get(runs, params={"filters": filters},
                                              headers=AUTH), 400, "invalid_request")
        assert found["details"] == {"param": "filters"}, filters
    bad_order = error(await sqlite_client.get(runs, params={"order": "colour"}, headers=AUTH),
                      400, "invalid_request")
    assert bad_order["details"] == {"param": "order", "field": "colour"}
    bad_field = error(await sqlite_client.get(runs, params={"filters": '{"colour": 1}'},
                                              headers=AUTH), 400, "invalid_request")
    assert bad_field["details"] == {"param": "filters", "field": "colour"}
    assert "config.<key>" in bad_field["message"]
    error(await sqlite_client.get(runs, params={"cursor": "???"}, headers=AUTH), 400,
          "invalid_request")
    error(await sqlite_client.get(runs, params={"limit": 100_000}, headers=AUTH), 400,
          "invalid_request")
    error(await sqlite_client.get("/api/v1/series", params={"runs": "a/b", "keys": "x"},
                                  headers=AUTH), 400, "invalid_request")
    error(await sqlite_client.get("/api/v1/series", params={"keys": "x"}, headers=AUTH), 400,
          "invalid_request")
    error(await sqlite_client.patch(f"/api/v1/runs/{b.path}", headers=AUTH,
                                    content=b"{broken", ), 400, "invalid_request")
    error(await sqlite_client.patch(f"/api/v1/runs/{b.path}", headers=AUTH,
                                    json={"colour": "red"}), 400, "invalid_request")


async def test_unknown_things_get_404(sqlite_client: httpx.AsyncClient) -> None:
    found = error(await sqlite_client.get("/api/v1/runs/team/proj/ghost", headers=AUTH), 404,
                  "not_found")
    assert "team/proj/ghost" in found["message"]
    for path in ("history", "keys", "console"):
        error(await sqlite_client.get(f"/api/v1/runs/team/proj/ghost/{path}", headers=AUTH),
              404, "not_found")
    error(await sqlite_client.delete("/api/v1/runs/team/proj/ghost", headers=AUTH), 404,
          "not_found")
    error(await sqlite_client.get("/api/v1/nothing-here"), 404, "not_found")
    error(await sqlite_client.put("/api/v1/health"), 405, "method_not_allowed")


async def test_unexpected_errors_are_500_without_internals(tmp_path: Path) -> None:
    app = create_app(settings_for(sqlite_url(tmp_path / "t.db")))

    class Broken:
        def list_projects(self, entity: str | None = None) -> Any:
            raise RuntimeError("password=hunter2 at /secret/path")

    async with app.router.lifespan_context(app):
        real = app.state.store
        app.state.store = Broken()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reply = await client.get("/api/v1/projects", headers=AUTH)
        app.state.store = real
    found = error(reply, 500, "internal")
    assert "hunter2" not in reply.text and "secret" not in reply.text
    assert found["details"] == {}


async def test_openapi_lists_the_api(sqlite_client: httpx.AsyncClient) -> None:
    reply = await sqlite_client.get("/api/v1/openapi.json")
    assert reply.status_code == 200
    spec = reply.json()
    paths = spec["paths"]
    for path in ("/api/v1/health", "/api/v1/ingest/{entity}/{project}/{run_id}/{segment}",
                 "/api/v1/projects", "/api/v1/runs/{entity}/{project}",
                 "/api/v1/runs/{entity}/{project}/{run_id}",
                 "/api/v1/runs/{entity}/{project}/{run_id}/keys",
                 "/api/v1/runs/{entity}/{project}/{run_id}/history",
                 "/api/v1/runs/{entity}/{project}/{run_id}/console", "/api/v1/series"):
        assert path in paths, path
    ingest = paths["/api/v1/ingest/{entity}/{project}/{run_id}/{segment}"]["post"]
    assert "application/x-msgpack" in ingest["requestBody"]["content"]
    assert "32 MiB" in ingest["requestBody"]["description"]
    for item in paths.values():
        for operation in item.values():
            assert "422" not in operation["responses"]
    assert set(paths["/api/v1/runs/{entity}/{project}/{run_id}"]) == {"get", "patch",
                                                                      "delete"}
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()
    docs = await sqlite_client.get("/api/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
