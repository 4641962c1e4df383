"""Blob stores: content-addressed bytes on a local disk or in S3, chosen by URI.

``open_blob_store("file:///srv/blobs")`` or ``open_blob_store("s3://bucket/prefix")``;
a plain path means a local folder.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from tracklet.errors import ValidationError
from tracklet.store.blobs.base import BlobStore, PresigningBlobStore, blob_key, check_digest

__all__ = ["BlobStore", "PresigningBlobStore", "blob_key", "check_digest", "open_blob_store"]


def open_blob_store(uri: str | os.PathLike[str], *,
                    endpoint_url: str | None = None) -> BlobStore:
    """The blob store for ``uri``: ``file:///path`` (or a path) or ``s3://bucket/prefix``."""
    text = os.fspath(uri)
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        from tracklet.store.blobs.s3 import S3BlobStore

        return S3BlobStore(text, endpoint_url=endpoint_url)
    from tracklet.store.blobs.local import LocalBlobStore

    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValidationError(f"{text!r}: a file:// blob store must be on this machine "
                                  "(file:///path)")
        return LocalBlobStore(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # not a Windows drive letter
        raise ValidationError(f"unknown blob store {text!r}: use file:///path or "
                              "s3://bucket/prefix")
    return LocalBlobStore(text)
