"""What every blob store offers: content-addressed bytes, named by their sha256.

A blob's key is its digest (64 lower-case hex characters), checked before it touches a
path or an object key, so a key can never name anything outside the store. Stores do not
hash what they are given (callers verify before they put); ``put_file`` of a digest that
is already there changes nothing. Presigned URLs are an optional capability
(:class:`PresigningBlobStore`), offered by stores whose backend can mint them (S3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from tracklet.errors import ValidationError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")

Bytes = bytes | bytearray | memoryview  # what put_bytes takes (a slice of a body: no copy)


def check_digest(digest: str) -> str:
    """``digest`` if it is a sha256 in lower-case hex, else a clear error."""
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValidationError(f"{digest!r} is not a sha256 digest: expected 64 lower-case "
                              "hex characters")
    return digest


def blob_key(digest: str) -> str:
    """The relative key of a blob: ``sha256/ab/cd/abcd...`` (fan-out keeps folders small)."""
    check_digest(digest)
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


class BlobStore(Protocol):
    """Bytes by sha256, on a local disk or in an object store."""

    uri: str

    def has(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int | None:
        """The stored size of a blob, or None when there is none."""
        ...

    def put_file(self, digest: str, path: Path, *, move: bool = False) -> None:
        """Store the file at ``path`` as ``digest`` (atomically: whole or not at all);
        with ``move`` the store may take the file itself (rename) instead of a copy."""
        ...

    def put_bytes(self, digest: str, data: Bytes) -> None:
        """Store ``data`` as ``digest`` (atomically)."""
        ...

    def get_file(self, digest: str, dest: Path) -> None:
        """Write the blob to ``dest`` (replaced atomically); NotFoundError if missing."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary stream of the blob (the caller closes it); NotFoundError if missing."""
        ...

    def delete(self, digest: str) -> None:
        """Remove a blob; a missing one is not an error."""
        ...

    def list_digests(self) -> Iterator[str]: ...


@runtime_checkable
class PresigningBlobStore(Protocol):
    """A blob store that can hand out URLs which read or write one blob without a key.

    Clients never write a blob's final key: ``presign_upload`` gives a URL for a fresh
    staging object (named by a random token); ``adopt_upload`` then checks what arrived
    there against the digest and only then moves it into place."""

    def presign_get(self, digest: str, *, expires: int = 3600) -> str: ...

    def presign_put(self, digest: str, *, expires: int = 3600) -> str: ...

    def presign_upload(self, digest: str, *, expires: int = 3600) -> tuple[str, str]:
        """``(url, token)``: a URL to PUT the blob's bytes to, and the upload's token."""
        ...

    def adopt_upload(self, digest: str, token: str) -> tuple[str, str, int]:
        """Hash the staged upload; when its sha256 is ``digest`` store it as the blob.
        Returns (sha256, md5, size) of what was staged (the staged object is removed
        either way); NotFoundError when nothing was uploaded under ``token``."""
        ...
