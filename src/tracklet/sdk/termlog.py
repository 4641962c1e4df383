"""Messages to the terminal, shaped like ``wandb.termlog`` / ``wandb.termwarn``."""

from __future__ import annotations

import logging
import sys
import threading

logger = logging.getLogger("tracklet")


def termlog(message: str) -> None:
    print(f"tracklet: {message}", file=sys.stderr, flush=True)
    logger.debug(message)


def termwarn(message: str) -> None:
    print(f"tracklet: WARNING {message}", file=sys.stderr, flush=True)
    logger.debug("warning: %s", message)


def termerror(message: str) -> None:
    print(f"tracklet: ERROR {message}", file=sys.stderr, flush=True)
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
