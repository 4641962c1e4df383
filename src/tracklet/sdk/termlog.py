"""Messages to the terminal, shaped like ``wandb.termlog`` / ``wandb.termwarn``."""

from __future__ import annotations

import logging
import sys
import threading

logger = logging.getLogger("tracklet")


_said: set[str] = set()  # messages printed with repeat=False


def _say(label: str, message: str, newline: bool, repeat: bool, prefix: bool) -> None:
    """Print to stderr; ``newline``, ``repeat`` and ``prefix`` as in ``wandb.termlog``."""
    if not repeat:
        if message in _said:
            return
        _said.add(message)
    head = f"tracklet: {label}" if prefix else ""
    print(f"{head}{message}", file=sys.stderr, flush=True, end="\n" if newline else "")


def termlog(message: str, newline: bool = True, repeat: bool = True,
            prefix: bool = True) -> None:
    _say("", message, newline, repeat, prefix)
    logger.debug(message)


def termwarn(message: str, newline: bool = True, repeat: bool = True,
             prefix: bool = True) -> None:
    _say("WARNING ", message, newline, repeat, prefix)
    logger.debug("warning: %s", message)


def termerror(message: str, newline: bool = True, repeat: bool = True,
              prefix: bool = True) -> None:
    _say("ERROR ", message, newline, repeat, prefix)
    logger.debug("error: %s", message)


class WarnOnce:
    """Warns once per topic (e.g. 'disk', 'store'), counting what follows silently."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, topic: str, message: str) -> None:
        with self._lock:
            if topic in self._seen:
                return
            self._seen.add(topic)
        termwarn(message)
