"""History and chart series over HTTP, checked against the values that were logged."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from server_helpers import AUTH, MSGPACK, Batches, encode, same

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, b: Batches, records: list[Any]) -> None:
    reply = await client.post(b.url, content=encode(records), headers=MSGPACK)
    assert reply.json() == {"acked": records[-1].seq}, reply.text


async def series(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    reply = await client.get("/api/v1/series", params=params, headers=AUTH)
    assert reply.status_code == 200, reply.text
    return reply.json()["series"]  # type: ignore[no-any-return]


def loss_at(step: int) -> float:
    return 1000.0 if step == 1234 else 5.0 / (1 + step) + (step % 7) / 100


async def test_many_points_come_as_buckets_keeping_spike_and_newest(
        client: httpx.AsyncClient) -> None:
    b = Batches("long")
    n = 5000
    await post(client, b, [b.start(), *(b.history(s, {"loss": loss_at(s)}) for s in range(n))])
    (entry,) = await series(client, runs=b.path, keys="loss", buckets=100)
    assert entry["count"] == n and entry["points"] is None
    buckets = entry["buckets"]
    assert 1 < len(buckets["x"]) <= 100
    assert sum(buckets["count"]) == n
    assert max(buckets["max"]) == 1000.0  # the spike survives
    assert buckets["x"][-1] == n - 1 and buckets["last"][-1] == loss_at(n - 1)  # newest
    lo = -1.0
    for x, bmin, bmax, mean, last, count in zip(*(buckets[k] for k in (
            "x", "min", "max", "mean", "last", "count"))):
        logged = [loss_at(s) for s in range(n) if lo < s <= x]
        assert (bmin, bmax, last, count) == (min(logged), max(logged), logged[-1], len(logged))
        assert mean == pytest.approx(sum(logged) / len(logged))
        lo = x
    again = await series(client, runs=b.path, keys="loss", buckets=100)
    assert again == [entry]  # deterministic


async def test_few_points_come_raw_and_ranges_cut(client: httpx.AsyncClient) -> None:
    b = Batches("short")
    values = [0.5, math.nan, 0.25, math.inf, 0.125]
    await post(client, b, [b.start(), *(b.history(s * 10, {"loss": v})
                                        for s, v in enumerate(values))])
    (entry,) = await series(client, runs=b.path, keys="loss", buckets=1000)
    assert entry["buckets"] is None and entry["count"] == 5
    assert entry["points"]["x"] == [0, 10, 20, 30, 40]
    assert entry["points"]["step"] == [0, 10, 20, 30, 40]
    assert same(entry["points"]["value"], values)
    (cut,) = await series(client, runs=b.path, keys="loss", min_x=5, max_x=30)
    assert cut["points"]["step"] == [10, 20, 30]
    (missing,) = await series(client, runs=b.path, keys="nope")
    assert missing["count"] == 0 and missing["points"]["x"] == []


async def test_x_axis_by_another_metric_and_by_time(client: httpx.AsyncClient) -> None:
    b = Batches("axes")
    records: list[Any] = [b.start()]
    for step in range(20):
        values = {"loss": float(step)}
        if step % 2 == 0:
            values["tokens"] = float((20 - step) * 100)  # falls as steps rise
        records.append(b.history(step, values))
    await post(client, b, records)
    (entry,) = await series(client, runs=b.path, keys="loss", x_axis="tokens")
    even_desc = list(range(18, -1, -2))
    assert entry["points"]["x"] == [(20 - s) * 100 for s in even_desc]
    assert entry["points"]["step"] == even_desc
    assert entry["points"]["value"] == [float(s) for s in even_desc]

    created = records[0].ts
    (runtime,) = await series(client, runs=b.path, keys="loss", x_axis="_runtime")
    assert runtime["points"]["x"] == [r.ts - created for r in records[1:]]
    (wall,) = await series(client, runs=b.path, keys="loss", x_axis="_timestamp",
                           min_x=records[5].ts)
    assert wall["points"]["x"] == [r.ts for r in records[5:]]


async def test_several_runs_and_keys(client: httpx.AsyncClient) -> None:
    paths = []
    for run_id in ("a1", "a2"):
        b = Batches(run_id)
        await post(client, b, [b.start(), *(b.history(s, {"x": s * 1.0, "y": -s * 1.0})
                                            for s in range(3))])
        paths.append(b.path)
    found = await series(client, runs=paths, keys=["x", "y"])
    assert [(e["run"], e["key"]) for e in found] == [
        (paths[0], "x"), (paths[0], "y"), (paths[1], "x"), (paths[1], "y")]
    assert found[3]["points"]["value"] == [0.0, -1.0, -2.0]
    unknown = await client.get("/api/v1/series", params={"runs": "team/proj/zzz", "keys": "x"},
                               headers=AUTH)
    assert unknown.status_code == 404


async def test_history_pages_by_step(client: httpx.AsyncClient) -> None:
    b = Batches("paged")
    records: list[Any] = [b.start()]
    for step in range(10):
        values = {"a": float(step)}
        if step % 2:
            values["b"] = step * 10.0
        records.append(b.history(step, values))
    await post(client, b, records)
    rows: dict[str, list[int]] = {"a": [], "b": []}
    params: dict[str, Any] = {"keys": ["a", "b"], "limit": 3}
    pages = 0
    while True:
        reply = (await client.get(f"/api/v1/runs/{b.path}/history", params=params,
                                  headers=AUTH)).json()
        pages += 1
        for s in reply["series"]:
            rows[s["key"]].extend(s["steps"])
        if reply["next_min_step"] is None:
            break
        params["min_step"] = reply["next_min_step"]
    assert rows == {"a": list(range(10)), "b": [1, 3, 5, 7, 9]}
    assert pages >= 4
    everything = (await client.get(f"/api/v1/runs/{b.path}/history", headers=AUTH)).json()
    assert sorted(s["key"] for s in everything["series"]) == ["a", "b"]
