"""``add_reference``: files that stay where they are (``file://``, ``s3://``, ``http(s)://``).

With ``checksum=True`` what can be recorded is: the sha256 of a local file, the ETag (and
version id) of an S3 object, the ETag or Last-Modified of an HTTP resource; a download
checks the ETag or sha256 again and refuses a file that changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tracklet.errors import ValidationError
from tracklet.store.artifacts import ManifestEntry, check_file_path

SCHEMES = ("file", "s3", "http", "https")


def resolve_reference(uri: str, name: str | None, checksum: bool,
                      digest_of: Any) -> list[ManifestEntry]:
    """Manifest entries for a reference (a folder or S3 prefix gives one per object)."""
    parsed = urlparse(uri)
    if parsed.scheme not in SCHEMES:
        raise ValidationError(f"cannot reference {uri!r}: use file://, s3://, http:// or "
                              "https:// URIs")
    if parsed.scheme == "file":
        return _file_refs(uri, unquote(parsed.path), name, checksum, digest_of)
    if parsed.scheme == "s3":
        return _s3_refs(uri, parsed.netloc, parsed.path.lstrip("/"), name, checksum)
    default = name or (parsed.path.rstrip("/").rsplit("/", 1)[-1] or parsed.netloc)
    entry_name = check_file_path(default)
    if not checksum:
        return [ManifestEntry(entry_name, None, None, ref=uri)]
    import httpx

    try:
        head = httpx.head(uri, follow_redirects=True, timeout=30)
    except httpx.HTTPError as exc:
        raise ValidationError(f"cannot reach {uri} to record its checksum: {exc}; pass "
                              "checksum=False to reference it as is") from exc
    if head.status_code >= 400:
        raise ValidationError(f"{uri} answered HTTP {head.status_code}; check the URL")
    extra = {k: head.headers[h] for k, h in (("etag", "etag"),
                                             ("last_modified", "last-modified"))
             if h in head.headers}
    size = head.headers.get("content-length")
    return [ManifestEntry(entry_name, None, int(size) if size and size.isdigit() else None,
                          ref=uri, extra=extra or None)]


def _file_refs(uri: str, path: str, name: str | None, checksum: bool,
               digest_of: Any) -> list[ManifestEntry]:
    local = Path(path)
    if not local.exists():
        raise ValidationError(f"cannot reference {uri}: no such file or folder")
    if local.is_dir():
        prefix = name or ""
        out = []
        for file in sorted(p for p in local.rglob("*") if p.is_file()):
            rel = file.relative_to(local).as_posix()
            out.extend(_file_refs(file.as_uri(), str(file), f"{prefix}/{rel}".lstrip("/"),
                                  checksum, digest_of))
        return out
    entry_name = check_file_path(name or local.name)
    size = os.stat(local).st_size
    extra = {"sha256": digest_of(local)[0]} if checksum else None
    return [ManifestEntry(entry_name, None, size, ref=local.absolute().as_uri(), extra=extra)]


def _s3_refs(uri: str, bucket: str, key: str, name: str | None,
             checksum: bool) -> list[ManifestEntry]:
    from botocore.exceptions import ClientError

    from tracklet.store.blobs.s3 import make_s3_client

    client = make_s3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=key) if key else None
    except ClientError:
        head = None
    if head is not None:
        extra: dict[str, Any] | None = None
        if checksum:
            extra = {"etag": head.get("ETag", "").strip('"')}
            if head.get("VersionId"):
                extra["version_id"] = head["VersionId"]
        entry_name = check_file_path(name or key.rsplit("/", 1)[-1])
        return [ManifestEntry(entry_name, None, int(head["ContentLength"]), ref=uri,
                              extra=extra)]
    prefix = key.rstrip("/") + "/" if key else ""
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                  Prefix=prefix):
        for item in page.get("Contents", []):
            rel = item["Key"][len(prefix):]
            entry_name = check_file_path(f"{name}/{rel}" if name else rel)
            extra = {"etag": item.get("ETag", "").strip('"')} if checksum else None
            out.append(ManifestEntry(entry_name, None, int(item["Size"]),
                                     ref=f"s3://{bucket}/{item['Key']}", extra=extra))
    if not out:
        raise ValidationError(f"cannot reference {uri}: no such object or prefix")
    return out


def fetch_reference(entry: ManifestEntry, dest: Path) -> None:
    """Copy a referenced object to ``dest`` and check it against what was recorded."""
    from tracklet.errors import ConflictError

    assert entry.ref is not None
    parsed = urlparse(entry.ref)
    extra = entry.extra or {}
    if parsed.scheme == "file":
        import shutil

        from tracklet.sdk.artifacts.digests import hash_file

        shutil.copyfile(unquote(parsed.path), dest)
        if "sha256" in extra and hash_file(dest)[0] != extra["sha256"]:
            raise ConflictError(f"{entry.path}: the referenced file {entry.ref} changed "
                                "since it was logged (sha256 differs)")
    elif parsed.scheme == "s3":
        from tracklet.store.blobs.s3 import make_s3_client

        client = make_s3_client()
        args: dict[str, Any] = {"Bucket": parsed.netloc, "Key": parsed.path.lstrip("/")}
        if "version_id" in extra:
            args["VersionId"] = extra["version_id"]
        response = client.get_object(**args)
        etag = str(response.get("ETag", "")).strip('"')
        if "etag" in extra and etag != extra["etag"]:
            raise ConflictError(f"{entry.path}: the referenced object {entry.ref} changed "
                                "since it was logged (ETag differs)")
        with dest.open("wb") as out:
            for chunk in response["Body"].iter_chunks(1 << 20):
                out.write(chunk)
    else:
        import httpx

        with httpx.stream("GET", entry.ref, follow_redirects=True, timeout=60) as reply:
            reply.raise_for_status()
            tag = reply.headers.get("etag")
            if "etag" in extra and tag is not None and tag != extra["etag"]:
                raise ConflictError(f"{entry.path}: {entry.ref} changed since it was "
                                    "logged (ETag differs)")
            with dest.open("wb") as out:
                for chunk in reply.iter_bytes(1 << 20):
                    out.write(chunk)
