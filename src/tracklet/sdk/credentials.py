"""The credentials file that ``tracklet login`` writes: which server, and its API key.

``<config dir>/credentials.json`` (mode 0600), where the config dir is
``$TRACKLET_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/tracklet``, else ``~/.config/tracklet``::

    {"base_url": "http://tracker:8080", "keys": {"http://tracker:8080": "tk_..."}}

``base_url`` is the server of the last login (the default one); ``keys`` holds one key per
server, so switching servers with ``TRACKLET_BASE_URL`` finds the right key.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

FILENAME = "credentials.json"


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("TRACKLET_CONFIG_DIR"):
        return Path(env["TRACKLET_CONFIG_DIR"]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "tracklet"
    return Path.home() / ".config" / "tracklet"


@dataclass(frozen=True)
class Credentials:
    base_url: str | None = None
    keys: dict[str, str] = field(default_factory=dict, repr=False)

    def key_for(self, base_url: str) -> str | None:
        return self.keys.get(base_url.rstrip("/"))


def read_credentials(directory: Path) -> Credentials:
    """What the file holds; empty when there is none. A file that cannot be read or
    parsed counts as none, with a warning (settings must never stop a run)."""
    path = directory / FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Credentials()
    except (OSError, ValueError) as exc:
        from tracklet.sdk.termlog import termwarn

        termwarn(f"ignoring the credentials file {path}: {exc}; run `tracklet login` "
                 "to write it again")
        return Credentials()
    if not isinstance(data, dict):
        return Credentials()
    keys = data.get("keys")
    base = data.get("base_url")
    return Credentials(base_url=base if isinstance(base, str) and base else None,
                       keys={str(k).rstrip("/"): str(v) for k, v in keys.items()}
                       if isinstance(keys, dict) else {})


def store_key(directory: Path, base_url: str, api_key: str) -> Path:
    """Remember ``api_key`` for ``base_url`` and make it the default server. The file is
    written whole to a new 0600 file, then renamed over the old one."""
    base_url = base_url.rstrip("/")
    current = read_credentials(directory)
    keys = {**current.keys, base_url: api_key}
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / FILENAME
    tmp = directory / f".{FILENAME}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"base_url": base_url, "keys": keys}, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path
