"""W&B compatibility: what ``import tracklet as wandb`` needs beyond Tracklet's own API.

* ``WANDB_*`` environment variables as fallbacks after ``TRACKLET_*`` ones
  (``env_settings`` for ``Settings.resolve``, ``init_defaults`` for ``init``).
* W&B setting names (``settings=wandb.Settings(...)``, a dict, or a ``wandb.Settings``
  object of the real package) translated to Tracklet settings (``translate_settings``).
* ``login`` and the features that are not there yet (``missing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracklet.sdk.termlog import termlog

# W&B setting name -> Tracklet setting name (values translated by _VALUE below)
_RENAMED = {
    "mode": "mode", "project": "project", "entity": "entity", "root_dir": "dir",
    "base_url": "base_url", "api_key": "api_key", "console": "console_capture",
    "x_disable_stats": "system_metrics", "_disable_stats": "system_metrics",
    "x_stats_sampling_interval": "system_metrics_interval",
    "_stats_sample_rate_seconds": "system_metrics_interval",
    "x_file_stream_transmit_interval": "flush_interval",
}

# W&B settings that have no meaning here: accepted and ignored
_IGNORED = frozenset({
    "start_method", "silent", "quiet", "show_info", "show_warnings", "show_errors",
    "show_emoji", "show_colors", "save_code", "code_dir", "disable_code", "disable_git",
    "disable_job_creation", "disable_meta", "anonymous", "init_timeout", "_service_wait",
    "x_service_wait", "_disable_meta", "x_disable_meta", "program", "program_relpath",
    "notebook_name", "host", "username", "email", "allow_val_change", "force", "reinit",
    "resume", "sync_tensorboard", "tensorboard", "monitor_gym", "job_name", "job_source",
    "launch", "sweep_id", "run_id", "run_name", "run_group", "run_job_type", "run_notes",
    "run_tags", "ignore_globs", "heartbeat_seconds", "_offline", "_noop", "strict",
    "x_label", "x_primary", "x_update_finish_state", "_file_stream_timeout_seconds",
    "x_file_stream_timeout_seconds", "_internal_queue_timeout", "_async_upload_concurrency_limit",
    "api_key_file", "login_timeout", "identity_token_file", "credentials_file",
    "http_proxy", "https_proxy", "summary_timeout", "_stats_open_metrics_endpoints",
    "x_save_requirements", "save_requirements", "console_multipart", "resume_from",
    "fork_from", "files_dir", "log_dir", "sync_dir", "wandb_dir", "settings_system",
    "settings_workspace", "sweep_param_path", "table_raise_on_max_row_limit_exceeded",
})

MODES = {"offline": "offline", "dryrun": "offline", "disabled": "disabled",
         "local": "local", "online": "online"}


def _value(name: str, value: Any) -> Any:
    if name == "console":
        return str(value) != "off"
    if name in ("x_disable_stats", "_disable_stats"):
        return not value
    if name == "mode":
        return MODES.get(str(value))  # "run" and unknown W&B modes: let Tracklet decide
    return value


def translate_settings(values: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """Tracklet settings from ``values`` that may use W&B names. Tracklet names pass
    through; W&B names are renamed or ignored; anything else is a TypeError."""
    out: dict[str, Any] = {}
    unknown = []
    for key, value in values.items():
        if key in fields:
            out[key] = value
        elif key in _RENAMED:
            translated = _value(key, value)
            if translated is not None and _RENAMED[key] not in values:
                out[_RENAMED[key]] = translated
        elif key not in _IGNORED:
            unknown.append(key)
    if unknown:
        raise TypeError(f"unknown setting {unknown[0]!r}: use a Tracklet setting (see "
                        "docs/configuration.md) or a W&B setting listed in "
                        "docs/wandb-compat.md")
    return out


def settings_values(settings: Any, fields: frozenset[str]) -> dict[str, Any]:
    """What ``init(settings=...)`` sets: from a ``tracklet.Settings`` (the fields given to
    its constructor), a Mapping, or a ``wandb.Settings``-like object (the fields it set)."""
    if settings is None:
        return {}
    explicit = getattr(settings, "_explicit", None)
    if explicit is not None:  # tracklet.Settings: only what the caller set
        return {k: getattr(settings, k) for k in explicit}
    if isinstance(settings, Mapping):
        return translate_settings(settings, fields)
    dump = getattr(settings, "model_dump", None)  # wandb.Settings is a pydantic model
    raw = dump(exclude_unset=True) if callable(dump) else dict(vars(settings))
    known = {k: v for k, v in raw.items() if k in fields or k in _RENAMED}
    return translate_settings(known, fields)


# Environment: Tracklet setting -> W&B variable consulted when TRACKLET_<NAME> is unset
ENV_SETTINGS = {"project": "WANDB_PROJECT", "entity": "WANDB_ENTITY", "dir": "WANDB_DIR",
                "mode": "WANDB_MODE"}


def env_settings(env: Mapping[str, str], have: Mapping[str, Any]) -> dict[str, Any]:
    """Settings from ``WANDB_*`` variables for the fields ``have`` lacks."""
    out: dict[str, Any] = {}
    for field, variable in ENV_SETTINGS.items():
        raw = env.get(variable)
        if field in have or not raw:
            continue
        if field == "mode":
            mode = MODES.get(raw.strip().lower())
            if mode is not None and mode != "online":  # online means W&B's cloud there
                out["mode"] = mode
        else:
            out[field] = raw
    return out


# init() arguments: (TRACKLET_ variable, WANDB_ variable)
INIT_ENV = {"id": ("TRACKLET_RUN_ID", "WANDB_RUN_ID"),
            "resume": ("TRACKLET_RESUME", "WANDB_RESUME"),
            "name": ("TRACKLET_NAME", "WANDB_NAME"),
            "group": ("TRACKLET_RUN_GROUP", "WANDB_RUN_GROUP"),
            "job_type": ("TRACKLET_JOB_TYPE", "WANDB_JOB_TYPE"),
            "notes": ("TRACKLET_NOTES", "WANDB_NOTES"),
            "tags": ("TRACKLET_TAGS", "WANDB_TAGS")}


def init_defaults(env: Mapping[str, str]) -> dict[str, Any]:
    """``init`` arguments from the environment (``TRACKLET_RUN_ID``, else
    ``WANDB_RUN_ID``, ...), for arguments the caller left out."""
    out: dict[str, Any] = {}
    for arg, names in INIT_ENV.items():
        raw = next((env[n] for n in names if env.get(n)), None)
        if raw is None:
            continue
        if arg == "tags":
            out[arg] = [t.strip() for t in raw.split(",") if t.strip()]
        elif arg == "resume":
            lowered = raw.strip().lower()
            out[arg] = {"true": True, "1": True, "false": False, "0": False}.get(lowered,
                                                                                lowered)
        else:
            out[arg] = raw
    return out


def login(anonymous: str | None = None, key: str | None = None, relogin: bool | None = None,
          host: str | None = None, force: bool | None = None, timeout: int | None = None,
          verify: bool = False, **_ignored: Any) -> bool:
    """Shaped like ``wandb.login``. With ``host`` and ``key``, stores the key for that
    server (as ``tracklet login --host`` does); without them there is nothing to do in
    local mode. Returns True."""
    if key and host:
        from tracklet.core.urls import normalize_url
        from tracklet.sdk import credentials

        path = credentials.store_key(credentials.config_dir(), normalize_url(host), key)
        termlog(f"stored the API key for {host} in {path}")
    elif key and not host:
        termlog("login(key=...) without host=...: the key is not stored; pass the "
                "server URL too, or set TRACKLET_BASE_URL and TRACKLET_API_KEY")
    return True


_MISSING = {
    "Audio": "audio (tracklet.Audio) is not supported yet; Histogram is",
    "Video": "video (tracklet.Video) is not supported yet; Histogram is",
    "Html": "HTML media (tracklet.Html) is not supported yet; Histogram is",
    "Object3D": "3D objects (tracklet.Object3D) are not supported yet; Histogram is",
    "Plotly": "Plotly charts (tracklet.Plotly) are not supported yet; Histogram is",
    "controller": "sweep controllers (tracklet.controller) are not supported yet",
    "alert": "alerts (tracklet.alert) are not supported yet",
}


def missing(name: str) -> str | None:
    """Why ``tracklet.<name>`` is not there, for W&B names not implemented yet."""
    reason = _MISSING.get(name)
    if reason is None:
        return None
    return f"tracklet.{name}: {reason}; see docs/wandb-compat.md for what works today"
