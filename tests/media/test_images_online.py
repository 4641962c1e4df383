"""Images and tables in online mode and through ``tracklet sync --host``: against a real
server (the app under uvicorn), read back through ``tracklet.Api(url)`` and the HTTP route."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

import tracklet
from servers import KEY, ThreadServer
from tracklet.cli.main import main

RNG = np.random.default_rng(3)
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadServer]:
    with ThreadServer(tmp_path / "server.db") as live:
        yield live


@pytest.fixture(autouse=True)
def no_shipper_left(data: Path) -> Iterator[None]:
    yield
    deadline = time.monotonic() + 20
    while any(t.name == "tracklet-shipper" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a tracklet-shipper thread outlived its run"
        time.sleep(0.05)


def pixels(data: bytes) -> Any:
    return np.asarray(PILImage.open(io.BytesIO(data)))


def read_media(base_url: str, path: str) -> list[dict[str, Any]]:
    with tracklet.Api(base_url, api_key=KEY) as api:
        return api.run(path).media()


def test_online_images_and_tables_read_back_through_the_server(
        server: ThreadServer, data: Path) -> None:
    a = RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    b = RNG.integers(0, 256, (4, 4), dtype=np.uint8)
    run = tracklet.init(project="web", mode="online",
                        settings={"base_url": server.base_url, "api_key": KEY})
    table = tracklet.Table(columns=["id", "pic"])
    table.add_data(7, tracklet.Image(b, caption="cell"))
    tracklet.log({"pic": tracklet.Image(a, caption="first"), "loss": 0.1})
    tracklet.log({"batch": [tracklet.Image(a), tracklet.Image(b)], "preds": table})
    run.finish(timeout=30)
    assert run.finish_status is not None and run.finish_status.pending == 0

    first, second = read_media(server.base_url, run.path)
    assert first["pic"].caption == "first"
    assert np.array_equal(pixels(first["pic"].bytes()), a)
    left, right = second["batch"]["images"]
    assert np.array_equal(pixels(left.bytes()), a) and np.array_equal(pixels(right.bytes()), b)
    (cells,) = second["preds"]["data"]
    assert cells[0] == 7 and cells[1].caption == "cell"
    assert np.array_equal(pixels(cells[1].bytes()), b)

    # the HTTP route: bytes, content type, cache headers
    url = f"{server.base_url}/api/v1/runs/{run.path}/media/blobs/{first['pic'].sha256}"
    reply = httpx.get(url, headers=AUTH)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/png"
    assert "immutable" in reply.headers["cache-control"]
    assert np.array_equal(pixels(reply.content), a)
    again = httpx.get(url, headers={**AUTH, "If-None-Match": reply.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert httpx.get(url).status_code == 401  # no key, private project
    unknown = url.replace(first["pic"].sha256, "0" * 64)
    missing = httpx.get(unknown, headers=AUTH)
    assert missing.status_code == 404
    assert "has no stored image" in missing.json()["error"]["message"]


def test_offline_images_reach_the_server_with_sync_host(
        server: ThreadServer, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arr = RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    run = tracklet.init(project="later", mode="offline")
    tracklet.log({"pic": tracklet.Image(arr)}, step=3)
    run.finish()
    monkeypatch.setenv("TRACKLET_API_KEY", KEY)
    for _ in range(2):  # the second sync changes nothing
        result = CliRunner().invoke(main, ["sync", "--host", server.base_url])
        assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    (row,) = read_media(server.base_url, f"{run.entity}/later/{run.id}")
    assert row["_step"] == 3
    assert np.array_equal(pixels(row["pic"].bytes()), arr)


def test_image_bytes_arrive_before_their_record(
        server: ThreadServer, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the server refuses the image's upload, the record is not delivered either;
    the next sync delivers both. Big images go up in chunks."""
    from tracklet.shipping import media as shipping_media
    from tracklet.shipping.client import RetryPolicy
    from tracklet.shipping.http import HttpShipper
    from tracklet.shipping.sync import sync_paths

    monkeypatch.setattr(shipping_media, "UPLOAD_CHUNK", 1000)  # several PUTs per image
    arr = RNG.integers(0, 256, (40, 40, 3), dtype=np.uint8)  # ~4.8 kB as PNG
    run = tracklet.init(project="order", mode="offline")
    tracklet.log({"pic": tracklet.Image(arr), "loss": 2.0})
    run.finish()
    refuse = {"on": True}
    real = httpx.HTTPTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        if refuse["on"] and request.method == "PUT":  # the image upload cannot get through
            raise httpx.ConnectError("connection refused", request=request)
        request.read()
        response = real.handle_request(request)
        response.read()
        return response

    shipper = HttpShipper(server.base_url, KEY, transport=httpx.MockTransport(handler),
                          retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(tracklet.TrackletError, match="cannot reach"):
            sync_paths([data], shipper)
        reply = httpx.get(f"{server.base_url}/api/v1/runs/{run.entity}/order/{run.id}",
                          headers=AUTH)
        assert reply.status_code == 404  # not even the run: its first batch holds the image
        refuse["on"] = False
        report = sync_paths([data], shipper)
        assert report.problems == []
    finally:
        shipper.close()
        real.close()
    (row,) = read_media(server.base_url, f"{run.entity}/order/{run.id}")
    assert row["pic"]["size"] > 3000
    assert np.array_equal(pixels(row["pic"].bytes()), arr)
