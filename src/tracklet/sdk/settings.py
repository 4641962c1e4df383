"""``Settings``: every knob of the SDK, resolved once (arguments > environment > defaults).

Environment variables are ``TRACKLET_<FIELD>`` in upper case, e.g. ``TRACKLET_DIR``,
``TRACKLET_MODE``, ``TRACKLET_PROJECT``, ``TRACKLET_SYSTEM_METRICS_INTERVAL``.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

MODES = ("local", "offline", "disabled")


def _default_entity() -> str:
    try:
        return getpass.getuser() or "local"
    except Exception:  # no user name in some containers
        return "local"


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one run. Use ``Settings.resolve`` to build one."""

    dir: str = "./tracklet"
    mode: str = "local"
    project: str = "uncategorized"
    entity: str = ""
    ui_url: str = "http://127.0.0.1:8080"
    flush_interval: float = 0.5          # seconds between run-log flushes (at most 1 s)
    heartbeat_interval: float = 10.0     # seconds between heartbeats of a running run
    heartbeat_timeout: float = 300.0     # a running run silent this long is crashed
    system_metrics: bool = True
    system_metrics_interval: float = 10.0
    console_capture: bool = True
    max_queue: int = 1_000_000           # metric values waiting for the writer (memory bound)
    queue_full_timeout: float = 5.0      # how long log() blocks on a full queue, then drops
    finish_timeout: float = 60.0         # default bound on finish()
    git_diff_limit: int = 1_000_000

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not 0 < self.flush_interval <= 1.0:
            raise ValueError("flush_interval must be in (0, 1] seconds")
        if self.system_metrics_interval <= 0:
            raise ValueError("system_metrics_interval must be positive")
        if self.max_queue < 1:
            raise ValueError("max_queue must be at least 1")

    @property
    def root(self) -> Path:
        return Path(self.dir).expanduser()

    @property
    def store_url(self) -> str:
        return f"sqlite:///{(self.root / 'tracklet.db').absolute()}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def resolve(cls, args: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None) -> Settings:
        """Arguments (None means unset) win over ``TRACKLET_*`` variables over defaults."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"TRACKLET_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, f.default)
        for key, value in (args or {}).items():
            if value is None:
                continue
            if key not in {f.name for f in fields(cls)}:
                raise TypeError(f"unknown setting {key!r}")
            values[key] = value
        if not values.get("entity"):
            values["entity"] = _default_entity()
        return cls(**values)


def _parse(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ValueError(
            f"environment variable TRACKLET_{name.upper()}={raw!r} is not a valid "
            f"{type(default).__name__}"
        ) from None
    return raw
