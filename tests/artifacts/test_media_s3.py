"""Logged images on a server whose blob store is a real S3 server (SeaweedFS): uploaded
through the server, served by the run's media route."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import pytest
from artifact_servers import KEY, ThreadServer
from PIL import Image as PILImage

import tracklet

pytestmark = pytest.mark.usefixtures("clean_session")


def test_images_go_to_s3_and_come_back_through_the_run(s3_bucket: str, tmp_path: Path) -> None:
    arr = np.random.default_rng(1).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    with ThreadServer(tmp_path / "server.db", blobs=f"s3://{s3_bucket}/media",
                      upload_dir=str(tmp_path / "uploads")) as server:
        run = tracklet.init(project="s3", entity="alice", dir=tmp_path / "client",
                            mode="online", settings={"base_url": server.base_url,
                                                     "api_key": KEY, "system_metrics": False,
                                                     "console_capture": False})
        tracklet.log({"pic": tracklet.Image(arr, caption="in s3")})
        run.finish(timeout=30)
        with tracklet.Api(server.base_url, api_key=KEY) as api:
            (row,) = api.run(f"alice/s3/{run.id}").media()
            image = row["pic"]
            assert image.caption == "in s3"
            assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(image.bytes()))), arr)
        reply = httpx.get(f"{server.base_url}/api/v1/runs/alice/s3/{run.id}/media/blobs/"
                          f"{image.sha256}", headers={"Authorization": f"Bearer {KEY}"})
        assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
