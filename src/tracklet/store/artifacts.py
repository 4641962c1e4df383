"""Artifacts in the store: value types, name and path rules, and the manifest digest.

Shared by the SDK (local mode), the server and the SQL store; pure apart from hashing.
A *manifest* maps relative POSIX paths to entries (sha256 and size of a stored blob, or an
external reference); its digest is the sha256 of a canonical JSON of the entries, so the
same content gives the same digest wherever it is computed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracklet.errors import ValidationError

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
VERSION = re.compile(r"^v(\d{1,9})$")
MAX_PATH = 1024
MAX_PART = 255


def check_artifact_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name) or name in (".", ".."):
        raise ValidationError(f"artifact name {name!r} is not valid: use 1-128 letters, "
                              "digits, '_', '.' or '-'")
    return name


def check_artifact_type(kind: str) -> str:
    if not isinstance(kind, str) or not TYPE.match(kind) or kind in (".", ".."):
        raise ValidationError(f"artifact type {kind!r} is not valid: use 1-64 letters, "
                              "digits, '_', '.' or '-' (e.g. dataset, model)")
    return kind


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not NAME.match(alias) or alias in (".", ".."):
        raise ValidationError(f"alias {alias!r} is not valid: use 1-128 letters, digits, "
                              "'_', '.' or '-'")
    if VERSION.match(alias):
        raise ValidationError(f"alias {alias!r} looks like a version number; versions are "
                              "named by the server (v0, v1, ...): choose another alias")
    return alias


def check_file_path(path: str) -> str:
    """``path`` if it is a safe relative POSIX path inside an artifact, else a clear error.

    Refused: empty, absolute, ``..`` or ``.`` parts, backslashes, NUL or control characters,
    over 1024 characters in all or 255 in one part. A manifest that passes can never name
    a file outside the folder it is downloaded into."""
    if not isinstance(path, str) or not path:
        raise ValidationError("an artifact file path must be a non-empty string")
    bad = ("is absolute" if path.startswith("/") or re.match(r"^[A-Za-z]:", path) else
           "contains a NUL or control character" if any(ord(c) < 32 for c in path) else
           "contains a backslash" if "\\" in path else
           f"is longer than {MAX_PATH} characters" if len(path) > MAX_PATH else None)
    if bad is None:
        parts = path.split("/")
        if any(p in ("", ".", "..") for p in parts):
            bad = "has an empty, '.' or '..' part (it must stay inside the artifact)"
        elif any(len(p) > MAX_PART for p in parts):
            bad = f"has a part longer than {MAX_PART} characters"
    if bad is not None:
        raise ValidationError(f"artifact file path {path[:200]!r} {bad}; use a relative path "
                              "like 'data/train.csv'")
    return path


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a version: a stored blob (``digest``) or an external ``ref``.

    ``md5`` (hex) is carried for the W&B protocol when known; ``extra`` holds what a
    reference recorded (an ETag, a version id)."""

    path: str
    digest: str | None
    size: int | None
    md5: str | None = None
    ref: str | None = None
    extra: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "digest": self.digest, "size": self.size}
        if self.md5:
            out["md5"] = self.md5
        if self.ref:
            out["ref"] = self.ref
        if self.extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestEntry:
        if not isinstance(data, dict):
            raise ValidationError("a manifest entry must be an object")
        path = check_file_path(data.get("path"))  # type: ignore[arg-type]
        digest = data.get("digest")
        if digest is not None:
            from tracklet.store.blobs.base import check_digest

            check_digest(digest)
        ref = data.get("ref")
        if digest is None and not ref:
            raise ValidationError(f"manifest entry {path!r} has neither a digest nor a ref")
        size = data.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)
                                 or size < 0):
            raise ValidationError(f"manifest entry {path!r}: size must be a whole number >= 0")
        md5 = data.get("md5")
        if md5 is not None and not (isinstance(md5, str) and re.match(r"^[0-9a-f]{32}$", md5)):
            raise ValidationError(f"manifest entry {path!r}: md5 must be 32 hex characters")
        if ref is not None and (not isinstance(ref, str) or len(ref) > 4096
                                or "\x00" in ref):
            raise ValidationError(f"manifest entry {path!r}: ref must be a URI string")
        extra = data.get("extra")
        if extra is not None and not isinstance(extra, dict):
            raise ValidationError(f"manifest entry {path!r}: extra must be an object")
        return cls(path, digest, size, md5, ref, extra)


def manifest_digest(entries: Iterable[ManifestEntry]) -> str:
    """The sha256 of the canonical manifest: entries sorted by path, with digest, size and
    reference (the MD5 and extras describe the same bytes, so they do not count)."""
    rows = sorted((e.path, e.digest, e.size, e.ref) for e in entries)
    text = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_manifest(entries: Sequence[ManifestEntry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        check_file_path(entry.path)
        if entry.path in seen:
            raise ValidationError(f"the manifest names {entry.path!r} twice")
        seen.add(entry.path)
    prefixes = {p.rsplit("/", 1)[0] for p in seen if "/" in p}
    clash = seen & {q for p in prefixes for q in _parents(p)}
    if clash:
        raise ValidationError(f"{sorted(clash)[0]!r} is both a file and a folder in the "
                              "manifest")


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


@dataclass(frozen=True)
class ArtifactRef:
    """``[entity/][project/]name[:alias|:vN]`` taken apart."""

    name: str
    alias: str = "latest"
    entity: str | None = None
    project: str | None = None

    @classmethod
    def parse(cls, text: str) -> ArtifactRef:
        if not isinstance(text, str) or not text:
            raise ValidationError("an artifact reference must be a string like "
                                  "'name:latest', 'name:v3' or 'entity/project/name:alias'")
        path, _, alias = text.partition(":")
        parts = path.split("/")
        if len(parts) > 3:
            raise ValidationError(f"artifact reference {text!r} has too many parts: use "
                                  "'entity/project/name:alias'")
        name = check_artifact_name(parts[-1])
        project = parts[-2] if len(parts) >= 2 else None
        entity = parts[-3] if len(parts) == 3 else None
        for value in (entity, project):
            if value is not None and not NAME.match(value):
                raise ValidationError(f"artifact reference {text!r}: {value!r} is not a "
                                      "valid entity or project name")
        alias = alias or "latest"
        if not NAME.match(alias):
            raise ValidationError(f"artifact reference {text!r}: {alias!r} is not a valid "
                                  "alias or version")
        return cls(name, alias, entity, project)


@dataclass(frozen=True)
class ArtifactVersionInfo:
    """One committed version of a collection, as the store and the API describe it."""

    entity: str
    project: str
    name: str
    type: str
    version: int
    digest: str
    aliases: list[str]
    size: int
    file_count: int
    created_at: float
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    id: int = 0

    @property
    def version_name(self) -> str:
        return f"v{self.version}"

    @property
    def qualified_name(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}:v{self.version}"

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "project": self.project, "name": self.name,
                "type": self.type, "version": self.version, "digest": self.digest,
                "aliases": list(self.aliases), "size": self.size,
                "file_count": self.file_count, "created_at": self.created_at,
                "description": self.description, "metadata": self.metadata,
                "run_id": self.run_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactVersionInfo:
        return cls(entity=data["entity"], project=data["project"], name=data["name"],
                   type=data["type"], version=int(data["version"]), digest=data["digest"],
                   aliases=list(data.get("aliases") or []), size=int(data.get("size") or 0),
                   file_count=int(data.get("file_count") or 0),
                   created_at=float(data["created_at"]), description=data.get("description"),
                   metadata=dict(data.get("metadata") or {}), run_id=data.get("run_id"))


@dataclass(frozen=True)
class CollectionInfo:
    entity: str
    project: str
    name: str
    type: str
    description: str | None
    created_at: float
    version_count: int

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "project": self.project, "name": self.name,
                "type": self.type, "description": self.description,
                "created_at": self.created_at, "version_count": self.version_count}


RUN_FILES_TYPE = "run-files"


def run_files_artifact(run_id: str) -> str:
    """The artifact holding what run ``run_id`` saved with ``tracklet.save``."""
    return f"run-{run_id}-files"
