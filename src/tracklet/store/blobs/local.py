"""``LocalBlobStore``: blobs as files under one folder (``file:///path``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tracklet.errors import NotFoundError
from tracklet.store.blobs.base import Bytes, blob_key, check_digest


def write_atomically(target: Path, *, source: Path | None = None,
                     data: Bytes | None = None) -> None:
    """Write ``target`` whole or not at all: the bytes of ``source`` (or ``data``) go to a
    temporary name beside it, then are renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        if source is not None:
            shutil.copyfile(source, tmp)
        else:
            tmp.write_bytes(data or b"")
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class LocalBlobStore:
    """Content-addressed files under ``root``; writes go to a temporary name, then rename."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.uri = self.root.as_uri()

    def path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def put_file(self, digest: str, path: Path, *, move: bool = False) -> None:
        target = self.path(digest)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.replace(path, target)
                return
            except OSError:  # another file system: copy instead
                pass
        write_atomically(target, source=path)

    def put_bytes(self, digest: str, data: Bytes) -> None:
        target = self.path(digest)
        if target.is_file():
            return
        staging = self.root / "tmp"  # same file system: the rename below is atomic
        staging.mkdir(parents=True, exist_ok=True)
        tmp = staging / f"{uuid.uuid4().hex}.tmp"
        try:
            with open(tmp, "wb") as out:
                out.write(data)
            try:
                os.replace(tmp, target)
            except FileNotFoundError:  # its folder is new (made only when needed)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def get_file(self, digest: str, dest: Path) -> None:
        source = self.path(digest)
        if not source.is_file():
            raise NotFoundError(f"no blob {digest} in {self.uri}")
        write_atomically(dest, source=source)

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no blob {digest} in {self.uri}") from None

    def delete(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(digest).unlink()

    def list_digests(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in base.glob("*/*/*"):
            name = path.name
            if len(name) == 64 and not name.startswith("."):
                with contextlib.suppress(Exception):
                    yield check_digest(name)
