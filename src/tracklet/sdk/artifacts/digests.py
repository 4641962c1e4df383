"""Hashing files, and the local cache of digests that makes re-logging cheap.

``DigestCache`` remembers the sha256 of a file by (absolute path, size, mtime in ns):
a file whose size and modification time have not changed is not read again. It is one
SQLite file (stdlib ``sqlite3``) shared by every process that uses the same cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


def hash_stream(stream: BinaryIO, *, out: BinaryIO | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """sha256 and size of what ``stream`` holds, copied to ``out`` on the way if given."""
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while True:
        n = stream.readinto(view)  # type: ignore[attr-defined]
        if not n:
            break
        chunk = view[:n]
        digest.update(chunk)
        if out is not None:
            out.write(chunk)
        size += n
        if progress is not None:
            progress(n)
    return digest.hexdigest(), size


def hash_file(path: str | os.PathLike[str],
              progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    with open(path, "rb", buffering=0) as stream:
        return hash_stream(stream, progress=progress)


class DigestCache:
    """sha256 of files keyed by (path, size, mtime_ns); safe for threads and processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        with contextlib.suppress(OSError, sqlite3.Error):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                 isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size "
                       "INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL)")
            self._db = db

    def lookup(self, path: str, st: os.stat_result) -> str | None:
        if self._db is None:
            return None
        with self._lock, contextlib.suppress(sqlite3.Error):
            row = self._db.execute("SELECT sha256 FROM digests WHERE path = ? AND size = ? "
                                   "AND mtime_ns = ?", (path, st.st_size, st.st_mtime_ns)
                                   ).fetchone()
            return None if row is None else str(row[0])
        return None

    def store(self, path: str, st: os.stat_result, digest: str) -> None:
        if self._db is None:
            return
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)",
                             (path, st.st_size, st.st_mtime_ns, digest))

    def lookup_many(self, files: list[tuple[str, os.stat_result]]) -> dict[str, str]:
        """``lookup`` for many files at once (one query per 500): path -> sha256 of those
        known unchanged."""
        if self._db is None or not files:
            return {}
        out: dict[str, str] = {}
        wanted = {path: (st.st_size, st.st_mtime_ns) for path, st in files}
        paths = list(wanted)
        with self._lock, contextlib.suppress(sqlite3.Error):
            for i in range(0, len(paths), 500):
                part = paths[i:i + 500]
                for path, size, mtime_ns, sha in self._db.execute(
                        "SELECT path, size, mtime_ns, sha256 FROM digests WHERE path IN "
                        f"({','.join('?' * len(part))})", part):
                    if wanted.get(path) == (size, mtime_ns):
                        out[path] = str(sha)
        return out

    def store_many(self, rows: list[tuple[str, os.stat_result, str]]) -> None:
        """``store`` for many files in one transaction."""
        if self._db is None or not rows:
            return
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?)",
                                     [(path, st.st_size, st.st_mtime_ns, digest)
                                      for path, st, digest in rows])
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def digest(self, path: str | os.PathLike[str],
               progress: Callable[[int], None] | None = None) -> tuple[str, int]:
        """sha256 and size of the file at ``path``, from the cache when it is unchanged."""
        full = os.path.abspath(path)
        st = os.stat(full)
        found = self.lookup(full, st)
        if found is not None:
            if progress is not None:
                progress(st.st_size)
            return found, st.st_size
        digest, size = hash_file(full, progress)
        after = os.stat(full)
        if (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            self.store(full, after, digest)
        return digest, size

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
