"""``S3BlobStore``: blobs as objects of an S3-compatible store (``s3://bucket/prefix``).

The endpoint and credentials come from the arguments or the usual AWS settings
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
profiles). Requests use SigV4 and path-style addressing, which every S3-compatible server
understands. boto3 is imported here only (the ``s3`` extra).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlparse

from tracklet.errors import NotFoundError, StoreError, ValidationError
from tracklet.store.blobs.base import Bytes, blob_key, check_digest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix`` (prefix without slashes around it)."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValidationError(f"{uri!r} is not an S3 URI: expected s3://bucket/prefix")
    return parsed.netloc, parsed.path.strip("/")


def make_s3_client(endpoint_url: str | None = None, *, region: str | None = None,
                   access_key: str | None = None, secret_key: str | None = None) -> S3Client:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StoreError("S3 blob stores need boto3: pip install 'tracklet[s3]'") from exc
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    retries={"max_attempts": 5, "mode": "standard"},
                    max_pool_connections=32)
    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=region or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=config)


def _missing(exc: Exception) -> bool:
    response = cast(dict[str, Any], getattr(exc, "response", {}) or {})
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3BlobStore:
    """Content-addressed objects under ``s3://bucket/prefix``."""

    def __init__(self, uri: str, *, client: S3Client | None = None,
                 endpoint_url: str | None = None) -> None:
        self.uri = uri
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.client = client if client is not None else make_s3_client(endpoint_url)

    def key(self, digest: str) -> str:
        key = blob_key(digest)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _head(self, digest: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return cast(dict[str, Any],
                        self.client.head_object(Bucket=self.bucket, Key=self.key(digest)))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise StoreError(f"S3 could not check blob {digest}: {exc}") from exc

    def has(self, digest: str) -> bool:
        return self._head(digest) is not None

    def size(self, digest: str) -> int | None:
        head = self._head(digest)
        return None if head is None else int(head["ContentLength"])

    def put_file(self, digest: str, path: Path, *, move: bool = False) -> None:
        # An S3 PUT (or a completed multipart upload) is atomic: readers never see half.
        self.client.upload_file(str(path), self.bucket, self.key(digest))

    def put_bytes(self, digest: str, data: Bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(digest), Body=bytes(data))

    def get_file(self, digest: str, dest: Path) -> None:
        from botocore.exceptions import ClientError

        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            self.client.download_file(self.bucket, self.key(digest), str(tmp))
            os.replace(tmp, dest)
        except ClientError as exc:
            if _missing(exc):
                raise NotFoundError(f"no blob {digest} in {self.uri}") from None
            raise StoreError(f"S3 could not read blob {digest}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def open(self, digest: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(digest))
        except ClientError as exc:
            if _missing(exc):
                raise NotFoundError(f"no blob {digest} in {self.uri}") from None
            raise StoreError(f"S3 could not read blob {digest}: {exc}") from exc
        return cast(BinaryIO, response["Body"])

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))

    def list_digests(self) -> Iterator[str]:
        prefix = f"{self.prefix}/sha256/" if self.prefix else "sha256/"
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                with contextlib.suppress(ValidationError):
                    yield check_digest(name)

    def presign_get(self, digest: str, *, expires: int = 3600) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.key(digest)},
            ExpiresIn=expires)

    def _staging_key(self, digest: str, token: str) -> str:
        check_digest(digest)
        if not re.match(r"^[0-9a-f]{32}$", token):
            raise ValidationError("an upload token is 32 hex characters")
        key = f"uploads/{digest}/{token}"
        return f"{self.prefix}/{key}" if self.prefix else key

    def presign_upload(self, digest: str, *, expires: int = 3600) -> tuple[str, str]:
        token = uuid.uuid4().hex
        url = self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket,
                                  "Key": self._staging_key(digest, token)},
            ExpiresIn=expires)
        return url, token

    def adopt_upload(self, digest: str, token: str) -> tuple[str, str, int]:
        import hashlib

        from botocore.exceptions import ClientError

        key = self._staging_key(digest, token)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise NotFoundError(f"nothing was uploaded for blob {digest} under this "
                                    "token; upload it again") from None
            raise StoreError(f"S3 could not read the upload of {digest}: {exc}") from exc
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        try:
            for chunk in body.iter_chunks(1 << 20):
                sha.update(chunk)
                md5.update(chunk)
                size += len(chunk)
            if sha.hexdigest() == digest and not self.has(digest):
                self.client.copy(
                    {"Bucket": self.bucket, "Key": key}, self.bucket, self.key(digest))
        finally:
            body.close()
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return sha.hexdigest(), md5.hexdigest(), size

    def presign_put(self, digest: str, *, expires: int = 3600) -> str:
        check_digest(digest)
        return self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": self.key(digest)},
            ExpiresIn=expires)
