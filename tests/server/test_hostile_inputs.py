"""Hostile or odd requests get 4xx envelopes, never a 5xx, on either database."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
import pytest
from server_helpers import AUTH, MSGPACK, Batches, encode

pytestmark = pytest.mark.anyio

RUNS = "/api/v1/runs/team/proj"
HOSTILE: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", RUNS, {"filters": json.dumps({"config.lr'; DROP TABLE runs; --": 1})}),
    ("GET", RUNS, {"filters": json.dumps({"config.lr": "1' OR '1'='1"})}),
    ("GET", RUNS, {"filters": json.dumps({"config.a\\b": 1})}),
    ("GET", RUNS, {"filters": json.dumps({"config.lr": {"$contains": 5}})}),
    ("GET", RUNS, {"filters": json.dumps({"config.lr": {"$in": [1, "a"]}})}),
    ("GET", RUNS, {"filters": json.dumps({"$and": 5})}),
    ("GET", RUNS, {"filters": json.dumps({"$and": [5]})}),
    ("GET", RUNS, {"filters": json.dumps({"tags": {"$gt": 1}})}),
    ("GET", RUNS, {"filters": json.dumps({"config.lr": 10**30})}),
    ("GET", RUNS, {"filters": json.dumps({"config": 1})}),
    ("GET", RUNS, {"order": "config."}),
    ("GET", RUNS, {"order": 'summary."x'}),
    ("GET", RUNS, {"cursor": "LTE="}),  # base64 of "-1"
    ("GET", RUNS, {"cursor": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="}),
    ("GET", "/api/v1/runs/team/proj/run00001/history", {"min_step": 10**30}),
    ("GET", "/api/v1/runs/team/proj/run00001/history", {"keys": ["x"] * 101}),
    ("GET", "/api/v1/runs/team/proj/run00001/console", {"offset": -1}),
    ("GET", "/api/v1/runs/team/proj/run00001/console", {"search": "%_\\"}),
    ("GET", "/api/v1/runs/team/proj/run00001/keys", {"kind": "other"}),
    ("GET", "/api/v1/series", {"runs": "team/proj/run00001", "keys": "loss",
                               "min_x": "1e308", "max_x": "-1e308"}),
    ("GET", "/api/v1/series", {"runs": "team/proj/run00001", "keys": "loss",
                               "min_x": "nan"}),
    ("GET", "/api/v1/series", {"runs": "team/proj/run00001", "keys": "loss",
                               "x_axis": "_runtime", "min_x": "-inf", "max_x": "inf"}),
    ("GET", "/api/v1/series", {"runs": [f"team/proj/r{i}" for i in range(101)],
                               "keys": "loss"}),
    ("GET", "/api/v1/series", {"runs": "team/proj/run00001", "keys": "loss", "buckets": 0}),
    ("GET", "/api/v1/runs/te%00am/proj", {}),
    ("GET", "/api/v1/projects", {"entity": "a\x00b"}),
]


async def test_hostile_requests_get_4xx(client: httpx.AsyncClient) -> None:
    b = Batches("run00001")
    await client.post(b.url, content=encode([b.start(), b.history(0, {"loss": 1.0})]),
                      headers=MSGPACK)
    for method, url, params in HOSTILE:
        reply = await client.request(method, url, params=params, headers=AUTH)
        assert 200 <= reply.status_code < 500, (url, params, reply.text)
        if reply.status_code >= 400:
            assert set(reply.json()["error"]) == {"code", "message", "details"}
    runs = await client.get(RUNS, headers=AUTH)
    assert [r["run_id"] for r in runs.json()["items"]] == ["run00001"]  # still there


async def test_hostile_batches_get_4xx(client: httpx.AsyncClient) -> None:
    b = Batches("run00002")
    bodies = [
        msgspec.msgpack.encode([["h", 1, 1.0, 0, {"x": "not a float"}]]),
        msgspec.msgpack.encode([["nope", 1, 1.0]]),
        msgspec.msgpack.encode([["h", 0, 1.0, 0, {"x": 1.0}]]),
        msgspec.msgpack.encode([["h", 1, 1.0, 0, {"x": 1.0}], ["h", 1, 2.0, 1, {"x": 2.0}]]),
        msgspec.msgpack.encode({"a": 1}),
        b"\xdd\xff\xff\xff\xff",  # claims four billion records
        b"\xdc\x00\x05\x90",  # claims five, holds one
    ]
    for body in bodies:
        reply = await client.post(b.url, content=body, headers=MSGPACK)
        assert 400 <= reply.status_code < 500, (body, reply.text)
    bad_id = await client.post("/api/v1/ingest/team/proj/has space/seg1",
                               content=encode([b.start()]), headers=MSGPACK)
    assert bad_id.status_code == 400
    assert (await client.get(b.url, headers=AUTH)).json() == {"acked": 0}
    await client.post(b.url, content=encode([b.start()]), headers=MSGPACK)
    nul = await client.patch(f"/api/v1/runs/{b.path}", json={"name": "a\x00b"},
                             headers=AUTH)
    assert nul.status_code == 400, nul.text
