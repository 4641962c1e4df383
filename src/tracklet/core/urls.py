"""Server URLs as Tracklet keeps them: ``http(s)://host[:port][/prefix]``, no trailing slash."""

from __future__ import annotations

from urllib.parse import urlsplit


def normalize_url(url: str) -> str:
    """The canonical form of a server URL; ValueError when it is not one."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not a server URL; give it with its scheme, e.g. "
                         "http://127.0.0.1:8080")
    return url
