"""``ServerSettings``: every knob of ``tracklet server``, resolved once and passed down.

Environment variables are ``TRACKLET_SERVER_<FIELD>`` in upper case (``TRACKLET_SERVER_DB_URL``,
``TRACKLET_SERVER_API_KEYS`` as a comma-separated list, ``TRACKLET_SERVER_PUBLIC_READS`` ...);
``ServerSettings.from_env`` reads them, which is how each of several uvicorn workers gets
its settings.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tracklet.core.envvars import parse_env_value

MIB = 1024 * 1024
ENV_PREFIX = "TRACKLET_SERVER_"


@dataclass(frozen=True)
class ServerSettings:
    """Resolved settings of one server process."""

    db_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    api_keys: Sequence[str] = ()        # accepted bearer keys (accounts replace these later)
    public_reads: bool = False          # reads without a key
    max_body_bytes: int = 32 * MIB      # any request body, and a batch after gunzip
    max_batch_records: int = 100_000    # records in one ingest batch
    heartbeat_timeout: float = 300.0    # a running run silent this long is crashed; 0: never
    blobs: str = ""                     # artifact blobs: file:///path or s3://bucket/prefix
    s3_endpoint_url: str = ""           # S3-compatible endpoint (else AWS_ENDPOINT_URL)
    upload_dir: str = ""                # partial artifact uploads (default: beside blobs)
    presign: bool = True                # S3: downloads redirect to presigned URLs

    def __post_init__(self) -> None:
        keys = tuple(k.strip() for k in self.api_keys if k.strip())
        object.__setattr__(self, "api_keys", keys)
        if not self.db_url:
            raise ValueError("the server needs a database URL (db_url)")
        if self.max_body_bytes < 1024:
            raise ValueError("max_body_bytes must be at least 1024")
        if self.max_batch_records < 1:
            raise ValueError("max_batch_records must be at least 1")
        if self.heartbeat_timeout < 0:
            raise ValueError("heartbeat_timeout must be 0 (never) or positive seconds")

    @property
    def blobs_uri(self) -> str:
        """Where artifact blobs live: ``blobs``, else beside a SQLite database
        (``<dir>/artifacts/blobs``, the folder local mode uses), else ``./tracklet-blobs``."""
        if self.blobs:
            return self.blobs
        if self.db_url.startswith("sqlite:///"):
            db = self.db_url[len("sqlite:///"):]
            if db and db != ":memory:":
                return str(Path(db).absolute().parent / "artifacts" / "blobs")
        return str(Path("tracklet-blobs").absolute())

    def replace(self, **changes: Any) -> ServerSettings:
        return dataclasses.replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """The environment variables that ``from_env`` turns back into these settings."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                text = ",".join(value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            out[ENV_PREFIX + f.name.upper()] = text
        return out

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ServerSettings:
        """Settings from ``TRACKLET_SERVER_*`` variables, under ``overrides`` (those that
        are not None win); a database URL must come from one or the other."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, f.default)
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown server settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "db_url" not in values:
            raise ValueError(f"set {ENV_PREFIX}DB_URL to the server's database URL")
        return cls(**values)


def _parse(name: str, raw: str, default: Any) -> Any:
    if name == "api_keys":
        return tuple(k for k in raw.split(",") if k.strip())
    return parse_env_value(f"{ENV_PREFIX}{name.upper()}", raw, default)
