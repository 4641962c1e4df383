"""Artifacts through a real server, with blobs on a local folder and on a real S3 server:
the SDK in online mode, the read API over HTTP, permissions and hostile manifests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from artifact_servers import KEY, ThreadServer

import tracklet
from tracklet import errors
from tracklet.store.sql.accounts import SqlAccountStore

QUIET = {"system_metrics": False, "console_capture": False}


pytestmark = pytest.mark.usefixtures("clean_session")


@pytest.fixture(params=["file", "s3"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ThreadServer]:
    if request.param == "file":
        blobs = (tmp_path / "server-blobs").as_uri()
    else:
        blobs = f"s3://{request.getfixturevalue('s3_bucket')}/tracklet"
    with ThreadServer(tmp_path / "server.db", blobs=blobs,
                      upload_dir=str(tmp_path / "uploads")) as srv:
        srv.kind = request.param  # type: ignore[attr-defined]
        yield srv


def online(server: ThreadServer, tmp_path: Path, key: str = KEY, **kwargs: Any
           ) -> tracklet.Run:
    kwargs.setdefault("project", "proj")
    kwargs.setdefault("entity", "alice")
    return tracklet.init(dir=tmp_path / "client", mode="online",
                         settings={**QUIET, "base_url": server.base_url, "api_key": key},
                         **kwargs)


def dataset(root: Path, n: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"shard-{i}.bin").write_bytes(bytes([i]) * (1000 + i))
    return root


def test_log_relog_change_use_download(server: ThreadServer, tmp_path: Path) -> None:
    data = dataset(tmp_path / "src")
    run = online(server, tmp_path)
    art = tracklet.Artifact("ds", "dataset", metadata={"n": 6})
    art.add_dir(data)
    run.log_artifact(art, aliases=["best"]).wait()
    assert art.version == "v0" and sorted(art.aliases) == ["best", "latest"]
    assert art.stats is not None and art.stats.transferred_files == 6

    same = tracklet.Artifact("ds", "dataset")
    same.add_dir(data)
    run.log_artifact(same).wait()
    assert same.version == "v0"
    assert same.stats is not None and same.stats.transferred_files == 0

    (data / "shard-2.bin").write_bytes(b"new bytes")
    changed = tracklet.Artifact("ds", "dataset")
    changed.add_dir(data)
    run.log_artifact(changed).wait()
    assert changed.version == "v1"
    assert changed.stats is not None
    assert (changed.stats.transferred_files, changed.stats.reused_files) == (1, 5)
    run.finish()

    reader = online(server, tmp_path)
    used = reader.use_artifact("alice/proj/ds:best")
    out = Path(used.download(tmp_path / "out"))
    assert (out / "shard-2.bin").read_bytes() == bytes([2]) * 1002
    used.verify(out)
    again = reader.use_artifact("ds:latest")
    out2 = Path(again.download(tmp_path / "out2"))
    assert (out2 / "shard-2.bin").read_bytes() == b"new bytes"
    assert again.stats is not None and again.stats.transferred_files == 1  # 5 from cache
    reader.finish()

    api = tracklet.Api(server.base_url, api_key=KEY)
    found = api.artifact("alice/proj/ds:v0")
    assert found.metadata == {"n": 6} and found.logged_by == f"alice/proj/{run.id}"
    assert found.used_by() == [f"alice/proj/{reader.id}"]
    graph = found.lineage()
    assert {"source": f"run:alice/proj/{run.id}", "target": "artifact:alice/proj/ds:v0",
            "kind": "logged"} in graph["edges"]
    assert [a.version for a in api.artifact_versions("dataset", "alice/proj/ds")] == \
        ["v0", "v1"]
    with httpx.Client(base_url=server.base_url + "/api/v1",
                      headers={"Authorization": f"Bearer {KEY}"}) as http:
        runs = http.get(f"/runs/alice/proj/{reader.id}/artifacts").json()
        assert [v["version"] for v in runs["used"]] == [0, 1]
        collections = http.get("/artifacts/alice/proj").json()["items"]
        assert [(c["name"], c["type"], c["version_count"]) for c in collections] == \
            [("ds", "dataset", 2)]
        digest = hashlib.sha256(b"new bytes").hexdigest()
        blob = http.get(f"/artifact-blobs/alice/proj/{digest}")
        if server.kind == "s3":  # type: ignore[attr-defined]
            assert blob.status_code == 307 and "X-Amz-Signature" in blob.headers["location"]
        else:
            assert blob.status_code == 200 and blob.content == b"new bytes"


def test_download_in_batches_verified_and_resumed(server: ThreadServer,
                                                  tmp_path: Path) -> None:
    """Small blobs come several to a request, a big one alone; each is checked against
    its sha256; files already downloaded are not fetched again."""
    data = dataset(tmp_path / "src", n=40)
    (data / "copy-of-shard-3.bin").write_bytes((data / "shard-3.bin").read_bytes())
    big = bytes(range(256)) * (9 * 1024 + 1)  # over the batch limit: its own request
    (data / "big.bin").write_bytes(big)
    run = online(server, tmp_path)
    art = tracklet.Artifact("many", "dataset")
    art.add_dir(data)
    run.log_artifact(art).wait()
    run.finish()

    reader = online(server, tmp_path)
    used = reader.use_artifact("many:latest")
    out = Path(used.download(tmp_path / "out"))
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in data.iterdir())
    for source in data.iterdir():
        assert (out / source.name).read_bytes() == source.read_bytes(), source.name
    assert used.stats is not None
    assert (used.stats.transferred_files, used.stats.reused_files) == (41, 1)  # a copy
    used.verify(out)

    (out / "shard-7.bin").unlink()  # a download cut off: what is there stays
    (out / "big.bin").write_bytes(b"changed by hand")
    reset_cache(tmp_path)
    again = reader.use_artifact("many:latest")
    again.download(out)
    assert again.stats is not None
    assert (again.stats.transferred_files, again.stats.reused_files) == (2, 40)
    assert (out / "big.bin").read_bytes() == big
    reader.finish()

    if server.kind == "file":  # type: ignore[attr-defined]
        from tracklet.sdk.artifacts import ArtifactCorruptedError

        digest = hashlib.sha256((data / "shard-9.bin").read_bytes()).hexdigest()
        stored = tmp_path / "server-blobs" / "sha256" / digest[:2] / digest[2:4] / digest
        stored.write_bytes(b"x" * stored.stat().st_size)  # same size, other bytes
        reset_cache(tmp_path)
        third = online(server, tmp_path)
        with pytest.raises(ArtifactCorruptedError, match=r"shard-9\.bin"):
            third.use_artifact("many:latest").download(tmp_path / "out3")
        third.finish()


def reset_cache(tmp_path: Path) -> None:
    """Forget the client's download cache (as on another machine)."""
    import shutil

    from tracklet.sdk.artifacts.client import reset_contexts

    reset_contexts()
    shutil.rmtree(tmp_path / "client" / "cache" / "blobs", ignore_errors=True)


def test_server_refuses_incomplete_and_hostile_manifests(server: ThreadServer) -> None:
    good = hashlib.sha256(b"abc").hexdigest()
    with httpx.Client(base_url=server.base_url + "/api/v1",
                      headers={"Authorization": f"Bearer {KEY}"}) as http:
        body = {"type": "dataset", "entries": [{"path": "a.txt", "digest": good, "size": 3}]}
        missing = http.post("/artifacts/alice/proj/x/versions", json=body)
        assert missing.status_code == 409
        assert missing.json()["error"]["details"]["missing"] == [good]
        assert http.get("/artifacts/alice/proj/x/versions/latest").status_code == 404
        wrong = http.put(f"/artifact-blobs/alice/proj/{good}/upload",
                         params={"offset": 0, "size": 3}, content=b"xyz")
        assert wrong.status_code == 400 and "hash to" in wrong.json()["error"]["message"]
        first = http.put(f"/artifact-blobs/alice/proj/{good}/upload",
                         params={"offset": 0, "size": 3}, content=b"ab")
        assert first.json() == {"offset": 2, "complete": False}
        state = http.post("/artifact-blobs/alice/proj/missing", json={"digests": [good]})
        assert state.json()["missing"] == [good] and state.json()["offsets"] == {good: 2}
        skipped = http.put(f"/artifact-blobs/alice/proj/{good}/upload",
                           params={"offset": 0, "size": 3}, content=b"ab")
        assert skipped.status_code == 409
        assert skipped.json()["error"]["details"]["offset"] == 2
        done = http.put(f"/artifact-blobs/alice/proj/{good}/upload",
                        params={"offset": 2, "size": 3}, content=b"c")
        assert done.json() == {"offset": 3, "complete": True}
        other = hashlib.sha256(b"abd").hexdigest()  # chunks whose whole is not the blob
        http.put(f"/artifact-blobs/alice/proj/{other}/upload",
                 params={"offset": 0, "size": 3}, content=b"ab")
        bad_end = http.put(f"/artifact-blobs/alice/proj/{other}/upload",
                           params={"offset": 2, "size": 3}, content=b"c")
        assert bad_end.status_code == 400 and "hash to" in bad_end.json()["error"]["message"]
        assert http.get(f"/artifact-blobs/alice/proj/{other}/upload").json() == \
            {"offset": 0, "complete": False}
        assert http.post("/artifacts/alice/proj/x/versions", json=body).status_code == 201
        assert http.post("/artifacts/alice/proj/x/versions", json=body).status_code == 200
        for bad in ["../up.txt", "/abs", "a/./b", "a\\b", "x" * 1100]:
            hostile = {"type": "dataset",
                       "entries": [{"path": bad, "digest": good, "size": 3}]}
            reply = http.post("/artifacts/alice/proj/x/versions", json=hostile)
            assert reply.status_code == 400, bad
            assert "artifact file path" in reply.json()["error"]["message"]
        nul = http.post("/artifacts/alice/proj/x/versions", content=(
            b'{"type":"dataset","entries":[{"path":"a\\u0000b","digest":"' + good.encode()
            + b'","size":3}]}'), headers={"Content-Type": "application/json"})
        assert nul.status_code == 400


def test_presigned_uploads_are_checked_before_they_count(s3_bucket: str,
                                                        tmp_path: Path) -> None:
    data = b"straight to S3"
    digest = hashlib.sha256(data).hexdigest()
    with ThreadServer(tmp_path / "server.db", blobs=f"s3://{s3_bucket}/t",
                      upload_dir=str(tmp_path / "uploads")) as server, \
            httpx.Client(base_url=server.base_url + "/api/v1",
                         headers={"Authorization": f"Bearer {KEY}"}) as http:
        def presigned() -> dict[str, str]:
            reply = http.post("/artifact-blobs/alice/proj/missing",
                              json={"digests": [digest]}).json()
            assert reply["missing"] == [digest]
            return reply["upload_urls"][digest]  # type: ignore[no-any-return]

        bad = presigned()
        assert httpx.put(bad["url"], content=b"something else").status_code == 200
        refused = http.post(f"/artifact-blobs/alice/proj/{digest}/adopt",
                            json={"token": bad["token"]})
        assert refused.status_code == 400 and "hash to" in refused.json()["error"]["message"]
        again = http.post(f"/artifact-blobs/alice/proj/{digest}/adopt",
                          json={"token": bad["token"]})
        assert again.status_code == 404  # the staged upload was dropped
        good = presigned()
        assert httpx.put(good["url"], content=data).status_code == 200
        taken = http.post(f"/artifact-blobs/alice/proj/{digest}/adopt",
                          json={"token": good["token"]})
        assert taken.json() == {"offset": len(data), "complete": True}
        assert http.post("/artifact-blobs/alice/proj/missing",
                         json={"digests": [digest]}).json()["missing"] == []
        # the SDK goes the same way: its bytes never pass through the server
        run = online(server, tmp_path)
        art = tracklet.Artifact("direct", "dataset")
        with art.new_file("big.bin", mode="wb") as f:
            f.write(b"z" * 3_000_000)
        run.log_artifact(art).wait()
        run.finish()
        assert art._context is not None
        assert art._context.backend.presigned_uploads == 1  # type: ignore[attr-defined]
        out = Path(tracklet.Api(server.base_url, api_key=KEY)
                   .artifact("alice/proj/direct:latest").download(tmp_path / "out"))
        assert (out / "big.bin").read_bytes() == b"z" * 3_000_000


def test_private_artifacts_stay_private_even_by_digest(tmp_path: Path) -> None:
    with ThreadServer(tmp_path / "server.db", blobs=(tmp_path / "b").as_uri()) as server:
        accounts = SqlAccountStore(server.db_url)
        accounts.create_user("alice")
        accounts.create_user("bob")
        _, alice_key = accounts.create_api_key("alice")
        _, bob_key = accounts.create_api_key("bob")
        accounts.close()
        run = online(server, tmp_path, key=alice_key)
        art = tracklet.Artifact("secret", "model")
        with art.new_file("weights.bin", mode="wb") as f:
            f.write(b"private weights")
        run.log_artifact(art).wait()
        run.finish()
        digest = hashlib.sha256(b"private weights").hexdigest()
        bob = tracklet.Api(server.base_url, api_key=bob_key)
        with pytest.raises(errors.NotFoundError):
            bob.artifact("alice/proj/secret:latest")
        with httpx.Client(base_url=server.base_url + "/api/v1",
                          headers={"Authorization": f"Bearer {bob_key}"}) as http:
            assert http.get(f"/artifact-blobs/alice/proj/{digest}").status_code == 404
            assert http.get(f"/artifact-blobs/bob/proj/{digest}").status_code == 404
            for where in ("alice", "bob"):  # nor several at once
                assert http.post(f"/artifact-blobs/{where}/proj/download",
                                 json={"digests": [digest]}).status_code == 404
            commit = http.post("/artifacts/alice/proj/stolen/versions", json={
                "type": "model", "entries": [{"path": "w", "digest": digest, "size": 15}]})
            assert commit.status_code == 404
            claim = http.post("/artifacts/bob/proj/stolen/versions", json={
                "type": "model", "entries": [{"path": "w", "digest": digest, "size": 15}]})
            assert claim.status_code == 409
            assert claim.json()["error"]["details"]["missing"] == [digest]
            state = http.get(f"/artifact-blobs/bob/proj/{digest}/upload").json()
            assert state == {"offset": 0, "complete": False}
            assert http.post("/artifact-blobs/bob/proj/missing",
                             json={"digests": [digest]}).json()["missing"] == [digest]
            # with the bytes themselves bob may use it (stored once, granted to bob/proj)
            sent = http.put(f"/artifact-blobs/bob/proj/{digest}/upload",
                            params={"offset": 0, "size": 15}, content=b"private weights")
            assert sent.json() == {"offset": 15, "complete": True}
            assert http.post("/artifacts/bob/proj/mine/versions", json={
                "type": "model", "entries": [{"path": "w", "digest": digest, "size": 15}]}
            ).status_code == 201
        with httpx.Client(base_url=server.base_url + "/api/v1") as anonymous:
            assert anonymous.get(f"/artifact-blobs/alice/proj/{digest}").status_code == 401


def test_batch_uploads_check_every_blob(tmp_path: Path) -> None:
    import json

    blobs = [b"first", b"second", b""]
    digests = [hashlib.sha256(b).hexdigest() for b in blobs]

    def batch(index: list[list[object]], data: bytes) -> bytes:
        raw = json.dumps(index).encode()
        return len(raw).to_bytes(4, "big") + raw + data

    with ThreadServer(tmp_path / "server.db", blobs=(tmp_path / "b").as_uri()) as server, \
            httpx.Client(base_url=server.base_url + "/api/v1",
                         headers={"Authorization": f"Bearer {KEY}"}) as http:
        url = "/artifact-blobs/alice/proj/batch"
        lying = batch([[digests[0], 5], [digests[1], 6]], b"firstSECOND")
        refused = http.post(url, content=lying)
        assert refused.status_code == 400 and digests[1] in refused.json()["error"]["message"]
        assert http.post("/artifact-blobs/alice/proj/missing",
                         json={"digests": digests}).json()["missing"] == digests
        for bad in [b"", b"\x00\x00\x00\x05nope!", batch([[digests[0], 9]], b"first"),
                    batch([["../x", 5]], b"first"), batch([[digests[0], -1]], b"")]:
            reply = http.post(url, content=bad)
            assert reply.status_code == 400, bad
        good = http.post(url, content=batch([[d, len(b)] for d, b in zip(digests, blobs)],
                                            b"".join(blobs)))
        assert good.json() == {"stored": digests}
        assert http.post("/artifact-blobs/alice/proj/missing",
                         json={"digests": digests}).json()["missing"] == []
