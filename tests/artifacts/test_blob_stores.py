"""One contract for every blob store: a local folder and a real S3 server (SeaweedFS)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tracklet.errors import NotFoundError, ValidationError
from tracklet.store.blobs import BlobStore, PresigningBlobStore, open_blob_store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield open_blob_store((tmp_path / "blobs").as_uri())
    else:
        bucket = request.getfixturevalue("s3_bucket")
        yield open_blob_store(f"s3://{bucket}/some/prefix")


def _blob(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    path = tmp_path / hashlib.md5(data).hexdigest()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), path


def test_put_get_roundtrip(store: BlobStore, tmp_path: Path) -> None:
    digest, path = _blob(tmp_path, b"hello blobs" * 1000)
    assert not store.has(digest)
    assert store.size(digest) is None
    store.put_file(digest, path)
    store.put_file(digest, path)  # idempotent
    assert store.has(digest)
    assert store.size(digest) == 11000
    out = tmp_path / "out" / "file.bin"
    store.get_file(digest, out)
    assert out.read_bytes() == b"hello blobs" * 1000
    with store.open(digest) as stream:
        assert stream.read() == b"hello blobs" * 1000
    assert list(store.list_digests()) == [digest]
    store.delete(digest)
    store.delete(digest)  # a missing blob is no error
    assert not store.has(digest)
    assert list(store.list_digests()) == []


def test_put_bytes_and_move(store: BlobStore, tmp_path: Path) -> None:
    data = b"bytes in memory"
    digest = hashlib.sha256(data).hexdigest()
    store.put_bytes(digest, data)
    with store.open(digest) as stream:
        assert stream.read() == data
    other, path = _blob(tmp_path, b"moved file")
    store.put_file(other, path, move=True)
    with store.open(other) as stream:
        assert stream.read() == b"moved file"
    assert sorted(store.list_digests()) == sorted([digest, other])


def test_missing_blob_is_not_found(store: BlobStore, tmp_path: Path) -> None:
    digest = "ab" * 32
    with pytest.raises(NotFoundError, match=digest):
        store.get_file(digest, tmp_path / "x")
    with pytest.raises(NotFoundError, match=digest):
        store.open(digest)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, "/abs", "a\x00b"])
def test_keys_that_are_not_digests_are_refused(store: BlobStore, tmp_path: Path,
                                               bad: str) -> None:
    _, path = _blob(tmp_path, b"x")
    with pytest.raises(ValidationError, match="not a sha256 digest"):
        store.put_file(bad, path)
    with pytest.raises(ValidationError, match="not a sha256 digest"):
        store.has(bad)


def test_large_blob_uses_multipart_on_s3(store: BlobStore, tmp_path: Path) -> None:
    data = bytes(range(256)) * (40 * 1024 * 4)  # 40 MiB: boto3 goes multipart above 8 MiB
    digest, path = _blob(tmp_path, data)
    store.put_file(digest, path)
    out = tmp_path / "big.out"
    store.get_file(digest, out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest


def test_presigned_urls_read_and_write_without_credentials(s3_bucket: str,
                                                          tmp_path: Path) -> None:
    store = open_blob_store(f"s3://{s3_bucket}")
    assert isinstance(store, PresigningBlobStore)
    data = b"presigned bytes"
    digest = hashlib.sha256(data).hexdigest()
    put = httpx.put(store.presign_put(digest), content=data)
    assert put.status_code == 200, put.text
    got = httpx.get(store.presign_get(digest))
    assert got.status_code == 200 and got.content == data
    assert open_blob_store((tmp_path / "b").as_uri()).__class__.__name__ == "LocalBlobStore"
    assert not isinstance(open_blob_store(tmp_path / "b"), PresigningBlobStore)


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown blob store"):
        open_blob_store("ftp://host/x")
