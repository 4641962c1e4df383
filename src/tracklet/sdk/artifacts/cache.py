"""The local download cache: blobs by sha256 under one folder, bounded in size.

Downloaded blobs land here first, then are copied into the folder the user asked for,
so a second download of the same version (or of another version sharing files) reads
nothing from the server. The cache is kept under ``max_bytes`` (default 10 GB, set by
``TRACKLET_CACHE_MAX_SIZE``): after each download the least recently used blobs go.
Its folder is ``TRACKLET_CACHE_DIR``, else ``<TRACKLET_DIR>/cache``.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tracklet.errors import ValidationError
from tracklet.store.blobs.base import blob_key

DEFAULT_MAX_BYTES = 10 * 1000**3
_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2,
          "G": 1000**3, "GB": 1000**3, "T": 1000**4, "TB": 1000**4, "KIB": 1024,
          "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def parse_size(text: str | int) -> int:
    """Bytes of ``"10GB"``, ``"512MiB"``, ``"1.5G"`` or a plain number."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValidationError("a size cannot be negative")
        return text
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", str(text))
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise ValidationError(f"{text!r} is not a size: use a number of bytes or e.g. "
                              "500MB, 10GB, 2GiB")
    return int(float(match.group(1)) * _UNITS[unit])


def cache_dir(env: Mapping[str, str] | None = None, root: str | Path | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("TRACKLET_CACHE_DIR"):
        return Path(env["TRACKLET_CACHE_DIR"]).expanduser()
    base = root if root is not None else env.get("TRACKLET_DIR") or "./tracklet"
    return Path(base).expanduser() / "cache"


@dataclass(frozen=True)
class CleanResult:
    removed_files: int
    removed_bytes: int
    kept_bytes: int


class DownloadCache:
    """Blobs under ``<root>/blobs``; the digest cache sits beside them."""

    def __init__(self, root: str | Path, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        if max_bytes is None:
            raw = os.environ.get("TRACKLET_CACHE_MAX_SIZE")
            max_bytes = parse_size(raw) if raw else DEFAULT_MAX_BYTES
        self.max_bytes = max_bytes

    @property
    def digest_db(self) -> Path:
        return self.root / "digests.sqlite"

    def path(self, digest: str) -> Path:
        return self.root / "blobs" / blob_key(digest)

    def get(self, digest: str, size: int | None) -> Path | None:
        """The cached blob, if it is there with the expected size (and mark it used)."""
        path = self.path(digest)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if size is not None and st.st_size != size:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first
        return path

    def temp_path(self, digest: str) -> Path:
        path = self.path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{digest}.{uuid.uuid4().hex}.tmp")

    def entries(self) -> list[tuple[float, int, Path]]:
        base = self.root / "blobs"
        out = []
        if base.is_dir():
            for path in base.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    with contextlib.suppress(FileNotFoundError):
                        st = path.stat()
                        out.append((st.st_mtime, st.st_size, path))
        return out

    def size(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def clean(self, max_bytes: int | None = None, *, dry_run: bool = False) -> CleanResult:
        """Remove least recently used blobs until the cache holds at most ``max_bytes``."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        entries = sorted(self.entries())
        total = sum(size for _, size, _ in entries)
        removed = removed_bytes = 0
        for _, size, path in entries:
            if total <= limit:
                break
            if not dry_run:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            total -= size
            removed += 1
            removed_bytes += size
        return CleanResult(removed, removed_bytes, total)
