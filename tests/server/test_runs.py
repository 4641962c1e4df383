"""Runs, projects, keys and console over HTTP: what was logged comes back."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import anyio
import httpx
import msgspec
import pytest
from server_helpers import AUTH, MSGPACK, Batches, encode, open_client, settings_for

from tracklet.store.sql.engine import sqlite_url

pytestmark = pytest.mark.anyio


async def log_run(client: httpx.AsyncClient, run_id: str, lr: float, loss: float, *,
                  project: str = "proj", finish: bool = True) -> Batches:
    b = Batches(run_id, project=project)
    records = [b.start(name=f"name-{run_id}", tags=["base"]),
               b.config({"lr": lr, "opt": {"name": "adam"}}),
               b.history(0, {"loss": loss * 2}), b.history(1, {"loss": loss})]
    if finish:
        records.append(b.finish())
    reply = await client.post(b.url, content=encode(records), headers=MSGPACK)
    assert reply.json() == {"acked": len(records)}, reply.text
    return b


async def test_list_filters_on_config_and_sorts_on_summary(client: httpx.AsyncClient) -> None:
    for run_id, lr, loss in [("r1", 0.1, 0.5), ("r2", 0.01, 0.2), ("r3", 0.1, 0.3),
                             ("r4", 0.1, 0.9)]:
        await log_run(client, run_id, lr, loss)
    filters = json.dumps({"config.lr": 0.1, "summary_metrics.loss": {"$lt": 0.8}})
    reply = await client.get("/api/v1/runs/team/proj",
                             params={"filters": filters, "order": "summary.loss"},
                             headers=AUTH)
    assert reply.status_code == 200, reply.text
    items = reply.json()["items"]
    assert [run["run_id"] for run in items] == ["r3", "r1"]
    assert items[0]["config"] == {"lr": 0.1, "opt": {"name": "adam"}}
    assert items[0]["summary"]["loss"] == 0.3
    assert items[0]["state"] == "finished"
    newest_loss_first = await client.get("/api/v1/runs/team/proj",
                                         params={"order": "-summary_metrics.loss"},
                                         headers=AUTH)
    assert [r["run_id"] for r in newest_loss_first.json()["items"]] == ["r4", "r1", "r3", "r2"]


async def test_runs_are_paged_with_a_cursor(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await log_run(client, f"run{i}", 0.1, float(i))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "order": "summary.loss"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/runs/team/proj", params=params, headers=AUTH)).json()
        seen.extend(run["run_id"] for run in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"run{i}" for i in range(5)]


async def test_get_patch_delete(client: httpx.AsyncClient) -> None:
    await log_run(client, "r1", 0.1, 0.5, finish=False)
    run = (await client.get("/api/v1/runs/team/proj/r1", headers=AUTH)).json()
    assert (run["name"], run["tags"], run["state"]) == ("name-r1", ["base"], "running")
    patched = await client.patch("/api/v1/runs/team/proj/r1", headers=AUTH,
                                 json={"name": "better", "tags": ["a", "b"], "notes": "hi"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["tags"]) == ("better", ["a", "b"])
    again = await client.patch("/api/v1/runs/team/proj/r1", headers=AUTH,
                               json={"notes": None})
    run = (await client.get("/api/v1/runs/team/proj/r1", headers=AUTH)).json()
    assert again.json() == run
    assert (run["name"], run["tags"], run["notes"]) == ("better", ["a", "b"], None)
    assert run["config"]["lr"] == 0.1  # the rest stays
    gone = await client.delete("/api/v1/runs/team/proj/r1", headers=AUTH)
    assert gone.status_code == 204
    missing = await client.get("/api/v1/runs/team/proj/r1", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_patch_of_unknown_run_is_404_and_creates_nothing(
        sqlite_client: httpx.AsyncClient) -> None:
    reply = await sqlite_client.patch("/api/v1/runs/team/proj/ghost", headers=AUTH,
                                      json={"name": "x"})
    assert reply.status_code == 404
    projects = (await sqlite_client.get("/api/v1/projects", headers=AUTH)).json()
    assert projects["items"] == []


async def test_non_finite_values_in_json_and_msgpack(client: httpx.AsyncClient) -> None:
    b = Batches("nan1")
    records = [b.start(), b.config({"weird": math.inf}),
               b.history(0, {"loss": math.nan, "up": -math.inf})]
    await client.post(b.url, content=encode(records), headers=MSGPACK)
    run = (await client.get(f"/api/v1/runs/{b.path}", headers=AUTH)).json()
    assert run["config"]["weird"] == "Infinity"
    assert run["summary"]["loss"] == "NaN"
    assert run["summary"]["up"] == "-Infinity"
    packed = await client.get(f"/api/v1/runs/{b.path}",
                              headers={**AUTH, "Accept": "application/x-msgpack"})
    assert packed.headers["content-type"] == "application/x-msgpack"
    run = msgspec.msgpack.decode(packed.content)
    assert run["config"]["weird"] == math.inf
    assert math.isnan(run["summary"]["loss"])


async def test_projects_keys_and_console(client: httpx.AsyncClient) -> None:
    for project in ("alpha", "beta", "gamma"):
        await log_run(client, "r1", 0.1, 0.5, project=project)
    first = (await client.get("/api/v1/projects", params={"limit": 2}, headers=AUTH)).json()
    rest = (await client.get("/api/v1/projects", params={"cursor": first["next_cursor"]},
                             headers=AUTH)).json()
    names = [p["name"] for p in first["items"] + rest["items"]]
    assert sorted(names) == ["alpha", "beta", "gamma"] and rest["next_cursor"] is None
    assert all(p["run_count"] == 1 and p["entity"] == "team" for p in first["items"])

    b = Batches("talky")
    lines = [f"epoch {i} loss {i / 10}" for i in range(30)]
    records = [b.start(), b.history(0, {"b/x": 1.0, "a/y": 2.0}), b.console(*lines[:20]),
               b.console(*lines[20:])]
    await client.post(b.url, content=encode(records), headers=MSGPACK)
    keys = (await client.get(f"/api/v1/runs/{b.path}/keys", headers=AUTH)).json()
    assert keys == {"items": ["a/y", "b/x"], "next_cursor": None}
    system = (await client.get(f"/api/v1/runs/{b.path}/keys", params={"kind": "system"},
                               headers=AUTH)).json()
    assert system["items"] == []
    page1 = (await client.get(f"/api/v1/runs/{b.path}/console", params={"limit": 25},
                              headers=AUTH)).json()
    assert [ln["text"] for ln in page1["items"]] == lines[:25]
    page2 = (await client.get(f"/api/v1/runs/{b.path}/console",
                              params={"offset": page1["next_offset"]}, headers=AUTH)).json()
    assert [ln["text"] for ln in page2["items"]] == lines[25:]
    assert page2["next_offset"] is None
    found = (await client.get(f"/api/v1/runs/{b.path}/console", params={"search": "epoch 2"},
                              headers=AUTH)).json()
    assert [ln["text"] for ln in found["items"]] == [lines[2], *lines[20:30]]


async def test_a_live_client_with_a_wrong_clock_is_judged_by_the_servers(
        tmp_path: Path) -> None:
    """A client whose clock is an hour behind keeps its run alive by sending; once it falls
    silent the run is crashed; when it speaks again (a network cut) it is running again."""
    settings = settings_for(sqlite_url(tmp_path / "t.db"), heartbeat_timeout=0.4)
    live = {**MSGPACK, "X-Tracklet-Live": "1"}
    async with open_client(settings) as client:
        b = Batches("skewed", t0=time.time() - 3600)

        async def state() -> str:
            reply = await client.get("/api/v1/runs/team/proj/skewed", headers=AUTH)
            return str(reply.json()["state"])

        assert (await client.post(b.url, content=encode([b.start()]),
                                  headers=live)).status_code == 200
        alive_until = time.monotonic() + 1.5  # several reaper rounds past the timeout
        while time.monotonic() < alive_until:
            await client.post(b.url, content=encode([b.heartbeat()]), headers=live)
            assert await state() == "running"
            await anyio.sleep(0.1)  # the client's heartbeat interval
        deadline = time.monotonic() + 5
        while await state() == "running" and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert await state() == "crashed"
        await client.post(b.url, content=encode([b.history(0, {"loss": 1.0})]), headers=live)
        assert await state() == "running"


async def test_silent_running_runs_are_marked_crashed(tmp_path: Path) -> None:
    settings = settings_for(sqlite_url(tmp_path / "t.db"), heartbeat_timeout=0.4)
    async with open_client(settings) as client:
        now = time.time()
        quiet = Batches("quiet", t0=now - 60)
        alive = Batches("alive", t0=now + 60)  # its last record is "in the future"
        for b in (quiet, alive):
            await client.post(b.url, content=encode([b.start()]), headers=MSGPACK)
        deadline = time.monotonic() + 5
        state = "running"
        while state == "running" and time.monotonic() < deadline:
            await anyio.sleep(0.05)
            state = (await client.get("/api/v1/runs/team/proj/quiet", headers=AUTH)).json()[
                "state"]
        assert state == "crashed"
        assert (await client.get("/api/v1/runs/team/proj/alive",
                                 headers=AUTH)).json()["state"] == "running"
