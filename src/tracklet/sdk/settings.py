"""``Settings``: every knob of the SDK, resolved once (arguments > environment >
credentials file > defaults).

Environment variables are ``TRACKLET_<FIELD>`` in upper case, e.g. ``TRACKLET_DIR``,
``TRACKLET_MODE``, ``TRACKLET_PROJECT``, ``TRACKLET_BASE_URL``, ``TRACKLET_API_KEY``.
The server and its key may also come from the file ``tracklet login`` writes (see
``credentials``). When no mode is given, it is ``online`` if a server and a key are
configured, else ``local``.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tracklet.core.envvars import parse_env_value

MODES = ("local", "online", "offline", "disabled")


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
    base_url: str = ""                   # the server of online mode, e.g. http://host:8080
    api_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if self.base_url:
            from tracklet.core.urls import normalize_url

            object.__setattr__(self, "base_url", normalize_url(self.base_url))
        if self.mode == "online" and not (self.base_url and self.api_key):
            missing = "a server URL" if not self.base_url else "an API key"
            raise ValueError(f"mode 'online' needs {missing}: run `tracklet login --host "
                             "URL`, or set TRACKLET_BASE_URL and TRACKLET_API_KEY (or pass "
                             "settings={'base_url': ..., 'api_key': ...})")
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
                env: Mapping[str, str] | None = None,
                config_dir: Path | None = None) -> Settings:
        """Arguments (None means unset) win over ``TRACKLET_*`` variables over the
        credentials file in ``config_dir`` (default: ``credentials.config_dir(env)``)
        over defaults."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"TRACKLET_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = parse_env_value(f"TRACKLET_{f.name.upper()}", raw, f.default)
        from tracklet.sdk.wandb_compat import env_settings

        values.update(env_settings(env, values))  # WANDB_* after TRACKLET_*
        for key, value in (args or {}).items():
            if value is None:
                continue
            if key not in {f.name for f in fields(cls)}:
                raise TypeError(f"unknown setting {key!r}")
            values[key] = value
        if not values.get("entity"):
            values["entity"] = _default_entity()
        if not (values.get("base_url") and values.get("api_key")):
            _from_credentials(values, env, config_dir)
        if "mode" not in values:
            values["mode"] = "online" if values.get("base_url") and values.get("api_key") \
                else "local"
        return cls(**values)


FIELD_NAMES = frozenset(f.name for f in fields(Settings))
_dataclass_init = Settings.__init__


def _settings_init(self: Settings, *args: Any, **kwargs: Any) -> None:
    """``Settings(...)`` also takes W&B setting names (``Settings(start_method="thread")``
    as in W&B scripts) and remembers which fields were given (what ``init`` uses)."""
    if any(k not in FIELD_NAMES for k in kwargs):
        from tracklet.sdk.wandb_compat import translate_settings

        kwargs = translate_settings(kwargs, FIELD_NAMES)
    _dataclass_init(self, *args, **kwargs)
    given = {f.name for f in fields(Settings)[:len(args)]} | set(kwargs)
    object.__setattr__(self, "_explicit", frozenset(given))


Settings.__init__ = _settings_init  # type: ignore[method-assign]


def _from_credentials(values: dict[str, Any], env: Mapping[str, str],
                      config_dir: Path | None) -> None:
    """Fill ``base_url`` and ``api_key`` from the file ``tracklet login`` wrote."""
    from tracklet.core.urls import normalize_url
    from tracklet.sdk import credentials

    found = credentials.read_credentials(config_dir or credentials.config_dir(env))
    if not values.get("base_url") and found.base_url:
        values["base_url"] = found.base_url
    if not values.get("api_key") and values.get("base_url"):
        key = found.key_for(normalize_url(values["base_url"]))
        if key:
            values["api_key"] = key
