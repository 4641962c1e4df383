"""Client-generated identifiers."""

from __future__ import annotations

import random
import re

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

_ADJECTIVES = ("brisk", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen",
               "lively", "mellow", "noble", "proud", "quiet", "rapid", "sunny", "swift",
               "vivid", "witty", "bold", "bright")
_NOUNS = ("river", "forest", "meadow", "harbor", "comet", "summit", "canyon", "glacier",
          "breeze", "ember", "falcon", "lantern", "nebula", "orchid", "pebble", "quartz",
          "ripple", "willow", "zephyr", "aurora")


def new_run_id(rng: random.Random, length: int = 8) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def new_segment_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(16))


def new_run_name(rng: random.Random, number: int) -> str:
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{number}"


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise ValueError(
            f"run id {run_id!r} is not valid: use 1-64 letters, digits, '-' or '_'"
        )
    return run_id


def check_name(value: object, *, what: str) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise ValueError(
            f"{what} {value!r} is not valid: use 1-128 letters, digits, '.', '-' or '_'"
        )
    return value
