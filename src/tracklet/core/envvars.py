"""Reading settings from environment variables: a string to the type of a default."""

from __future__ import annotations

from typing import Any

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_env_value(variable: str, raw: str, default: Any) -> Any:
    """``raw`` as the type of ``default`` (bool, int, float, else str), or ValueError
    naming the variable."""
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ValueError(f"environment variable {variable}={raw!r} is not a valid "
                         f"{type(default).__name__}") from None
    return raw
