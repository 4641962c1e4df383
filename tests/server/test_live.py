"""``/api/v1/live``: points ingested while a client reads the stream reach it, over a real
uvicorn (httpx's in-process transport buffers whole responses, so it cannot stream)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from fastapi import FastAPI
from server_helpers import AUTH, MSGPACK, Batches, encode, settings_for

from servers import free_port
from tracklet.server import create_app
from tracklet.server.routes.live import event_stream

DEADLINE = 10.0  # generous for a loaded CI box; the time actually taken is asserted apart


@pytest.fixture
def app(db_url: str) -> FastAPI:
    return create_app(settings_for(db_url))


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def post(url: str, b: Batches, records: list[Any]) -> None:
    reply = httpx.post(url + b.url, content=encode(records), headers=MSGPACK, timeout=30)
    assert reply.json() == {"acked": records[-1].seq}, reply.text


class Events:
    """Parses a text/event-stream as it arrives."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.comments: list[str] = []

    def next(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        for line in self.lines:
            if not line:
                if "data" in event or "event" in event:
                    return event
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(": ")
            event[name] = json.loads(value) if name == "data" else value
        raise AssertionError("the stream ended")

    def points(self, until: Any) -> dict[tuple[str, str], dict[int, float]]:
        """Points of ``points`` events until ``until(got)`` holds or the deadline passes
        (the stream's read timeout stops a silent server)."""
        got: dict[tuple[str, str], dict[int, float]] = {}
        deadline = time.monotonic() + DEADLINE
        while not until(got):
            assert time.monotonic() < deadline, f"only {got} arrived"
            event = self.next()
            if event.get("event") == "points":
                data = event["data"]
                assert int(event["id"]) <= max(data["steps"])
                got.setdefault((data["run"], data["key"]), {}).update(
                    zip(data["steps"], map(float, data["values"])))
        return got


def open_stream(client: httpx.Client, base_url: str, **params: Any) -> Any:
    return client.stream("GET", f"{base_url}/api/v1/live", params=params, headers=AUTH,
                         timeout=httpx.Timeout(30, read=DEADLINE))


def test_points_ingested_while_streaming_arrive_within_a_second(base_url: str) -> None:
    a, b = Batches("livea001"), Batches("liveb001")
    post(base_url, a, [a.start(), *(a.history(s, {"loss": 1.0, "acc": 0.5})
                                    for s in range(10))])
    post(base_url, b, [b.start(), b.history(0, {"loss": 2.0})])
    with httpx.Client() as client, open_stream(client, base_url, runs=[a.path, b.path],
                                               keys=["loss", "acc"]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = Events(response)
        for step in range(10, 13):  # what was stored before is not sent again
            started = time.monotonic()
            post(base_url, a, [a.history(step, {"loss": step / 100})])
            post(base_url, b, [b.history(step, {"loss": -step / 100, "acc": 1.0})])
            got = events.points(lambda g, step=step: all(
                step in g.get(pair, {}) for pair in ((a.path, "loss"), (b.path, "loss"),
                                                     (b.path, "acc"))))
            took = time.monotonic() - started
            assert took < 3.0, f"points took {took:.2f} s to arrive"
            assert got[(a.path, "loss")][step] == step / 100
            assert got[(b.path, "loss")][step] == -step / 100
            assert all(s >= 10 for pairs in got.values() for s in pairs)
            assert (a.path, "acc") not in got  # not logged after the stream opened


def test_since_replays_and_state_changes_are_sent(base_url: str) -> None:
    b = Batches("livec001")
    nan = float("nan")
    post(base_url, b, [b.start(), *(b.history(s, {"loss": nan if s == 7 else float(s)})
                                    for s in range(10))])
    with httpx.Client() as client, open_stream(client, base_url, runs=b.path, keys="loss",
                                               since=4) as response:
        events = Events(response)
        got = events.points(lambda g: 9 in g.get((b.path, "loss"), {}))
        steps = got[(b.path, "loss")]
        assert sorted(steps) == [5, 6, 7, 8, 9]
        assert steps[6] == 6.0 and steps[7] != steps[7]  # NaN came as "NaN"
        post(base_url, b, [b.finish()])
        deadline = time.monotonic() + DEADLINE
        while True:
            assert time.monotonic() < deadline
            event = events.next()
            if event.get("event") == "state":
                assert event["data"] == {"run": b.path, "state": "finished"}
                break


def test_many_points_come_in_several_events(base_url: str) -> None:
    b = Batches("lived001")
    n = 25_000
    post(base_url, b, [b.start(), *(b.history(s, {"loss": float(s)}) for s in range(n))])
    with httpx.Client() as client, open_stream(client, base_url, runs=b.path, keys="loss",
                                               since=-1) as response:
        got = Events(response).points(lambda g: len(g.get((b.path, "loss"), {})) == n)
        assert got[(b.path, "loss")] == {s: float(s) for s in range(n)}


def test_a_missing_run_or_too_many_pairs_fail_before_the_stream(base_url: str) -> None:
    reply = httpx.get(f"{base_url}/api/v1/live", params={"runs": "team/proj/nope1234",
                                                         "keys": "loss"}, headers=AUTH)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    reply = httpx.get(f"{base_url}/api/v1/live", params={"runs": "team/proj/x",
                                                         "keys": "loss"})
    assert reply.status_code == 401
    runs = [f"team/proj/r{i:07d}" for i in range(101)]
    reply = httpx.get(f"{base_url}/api/v1/live", params={"runs": runs, "keys": "loss"},
                      headers=AUTH)
    assert reply.status_code == 400


class QuietFeed:
    def __init__(self) -> None:
        self.polls = 0

    def poll(self) -> tuple[list[str], bool]:
        self.polls += 1
        return [], False


@pytest.mark.anyio
async def test_quiet_streams_send_heartbeats_and_end_on_disconnect() -> None:
    feed = QuietFeed()
    now = [0.0]
    gone = [False]

    async def disconnected() -> bool:
        now[0] += 1.0  # one poll = one second of the fake clock
        return gone[0]

    stream = event_stream(feed, disconnected, poll_seconds=0, heartbeat_seconds=3,
                          clock=lambda: now[0])  # type: ignore[arg-type]
    chunks = [await stream.__anext__() for _ in range(3)]
    assert chunks[0].startswith("retry: 1000")
    assert chunks[1:] == [": keepalive\n\n", ": keepalive\n\n"]
    gone[0] = True
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert feed.polls >= 6


def test_event_data_is_json_with_named_non_finite_floats() -> None:
    from tracklet.server.routes.live import _event

    text = _event("points", {"values": [1.0, float("inf")]}, 3)
    assert text.startswith("id: 3\nevent: points\ndata: ")
    assert msgspec.json.decode(text.split("data: ")[1]) == {"values": [1.0, "Infinity"]}


def test_a_stream_ends_when_its_key_is_revoked(app: FastAPI, base_url: str) -> None:
    b = Batches("revoke01", entity="ann")
    post(base_url, b, [b.start(), b.history(0, {"loss": 1.0})])
    accounts = app.state.accounts
    accounts.create_user("ann")
    key, secret = accounts.create_api_key("ann")
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client() as client, client.stream(
            "GET", f"{base_url}/api/v1/live", params={"runs": b.path, "keys": "loss"},
            headers=headers, timeout=httpx.Timeout(30, read=DEADLINE)) as response:
        assert response.status_code == 200
        events = Events(response)
        post(base_url, b, [b.history(1, {"loss": 0.5})])
        assert events.points(lambda got: 1 in got.get((b.path, "loss"), {}))
        accounts.revoke_api_key(key.id)
        event = events.next()
        while event.get("event") == "points":
            event = events.next()
        assert event["event"] == "error"
        assert event["data"]["code"] == "unauthorized"
        assert list(events.lines) == []  # and the stream ended there
    reply = httpx.get(f"{base_url}/api/v1/live", params={"runs": b.path, "keys": "loss"},
                      headers=headers)
    assert reply.status_code == 401


@pytest.mark.anyio
async def test_streams_recheck_their_credentials_on_a_timer() -> None:
    now = [0.0]
    allowed = [True]
    checks = []

    async def disconnected() -> bool:
        now[0] += 1.0
        return False

    def still_allowed() -> bool:
        checks.append(now[0])
        return allowed[0]

    stream = event_stream(QuietFeed(), disconnected, poll_seconds=0, heartbeat_seconds=100,
                          still_allowed=still_allowed, recheck_seconds=5,
                          clock=lambda: now[0])  # type: ignore[arg-type]
    assert (await stream.__anext__()).startswith("retry:")
    allowed[0] = False
    last = await stream.__anext__()
    assert last.startswith("event: error") and '"unauthorized"' in last
    assert checks == [5.0]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
