"""Ingest over HTTP: batches applied once, resumable, compressed or not."""

from __future__ import annotations

import gzip

import httpx
import pytest
from server_helpers import AUTH, MSGPACK, Batches, encode

pytestmark = pytest.mark.anyio


async def history(client: httpx.AsyncClient, path: str, key: str) -> dict[str, list[float]]:
    reply = await client.get(f"/api/v1/runs/{path}/history", params={"keys": key},
                             headers=AUTH)
    assert reply.status_code == 200, reply.text
    (series,) = reply.json()["series"]
    return series  # type: ignore[no-any-return]


async def test_batch_is_acked_and_a_replay_changes_nothing(client: httpx.AsyncClient) -> None:
    b = Batches()
    records = [b.start(), *(b.history(step, {"loss": 10.0 - step}) for step in range(50))]
    body = encode(records)
    first = await client.post(b.url, content=body, headers=MSGPACK)
    assert first.status_code == 200, first.text
    assert first.json() == {"acked": 51}
    again = await client.post(b.url, content=body, headers=MSGPACK)
    assert again.json() == {"acked": 51}
    series = await history(client, b.path, "loss")
    assert series["steps"] == list(range(50))  # each step once, not twice
    assert series["values"] == [10.0 - s for s in range(50)]
    resume = await client.get(b.url, headers=AUTH)
    assert resume.json() == {"acked": 51}


async def test_gzip_body(client: httpx.AsyncClient) -> None:
    b = Batches()
    records = [b.start(), *(b.history(step, {"acc": step / 100}) for step in range(200))]
    reply = await client.post(b.url, content=gzip.compress(encode(records)),
                              headers={**MSGPACK, "Content-Encoding": "gzip"})
    assert reply.json() == {"acked": 201}
    assert (await history(client, b.path, "acc"))["values"] == [s / 100 for s in range(200)]


async def test_gap_stops_at_the_last_contiguous_seq(client: httpx.AsyncClient) -> None:
    b = Batches()
    records = [b.start(), *(b.history(step, {"loss": float(step)}) for step in range(9))]
    # seqs 1..10; send 1..4, then 7..10 (5 and 6 lost on the way), then 5..10
    assert (await client.post(b.url, content=encode(records[:4]),
                              headers=MSGPACK)).json() == {"acked": 4}
    after_gap = await client.post(b.url, content=encode(records[6:]), headers=MSGPACK)
    assert after_gap.json() == {"acked": 4}
    assert (await history(client, b.path, "loss"))["steps"] == [0, 1, 2]
    filled = await client.post(b.url, content=encode(records[4:]), headers=MSGPACK)
    assert filled.json() == {"acked": 10}
    assert (await history(client, b.path, "loss"))["steps"] == list(range(9))


async def test_unknown_segment_resumes_from_zero(sqlite_client: httpx.AsyncClient) -> None:
    reply = await sqlite_client.get("/api/v1/ingest/team/proj/nothing/seg0", headers=AUTH)
    assert reply.json() == {"acked": 0}


async def test_seq_range_header_must_match(sqlite_client: httpx.AsyncClient) -> None:
    b = Batches()
    body = encode([b.start(), b.history(0, {"x": 1.0})])
    ok = await sqlite_client.post(b.url, content=body,
                                  headers={**MSGPACK, "X-Tracklet-Seq-Range": "1-2"})
    assert ok.json() == {"acked": 2}
    cut = await sqlite_client.post(b.url, content=body,
                                   headers={**MSGPACK, "X-Tracklet-Seq-Range": "1-3"})
    assert cut.status_code == 400
    assert cut.json()["error"]["code"] == "invalid_request"


async def test_batch_for_another_run_is_refused(sqlite_client: httpx.AsyncClient) -> None:
    b = Batches(run_id="aaaa")
    other = Batches(run_id="bbbb")
    reply = await sqlite_client.post(b.url, content=encode([other.start()]), headers=MSGPACK)
    assert reply.status_code == 400
    assert "bbbb" in reply.json()["error"]["message"]


async def test_wrong_content_type(sqlite_client: httpx.AsyncClient) -> None:
    b = Batches()
    reply = await sqlite_client.post(b.url, content=encode([b.start()]),
                                     headers={**AUTH, "Content-Type": "application/json"})
    assert reply.status_code == 415
    assert reply.json()["error"]["code"] == "unsupported_media_type"
