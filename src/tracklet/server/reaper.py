"""Marking runs crashed whose heartbeats stopped: a task of every server process.

A ``running`` run whose last record (heartbeats included) is older than
``heartbeat_timeout`` seconds is set to ``crashed``. Several processes may do this at
once: the store only changes runs that are still running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from tracklet.store.base import MetadataStore

log = logging.getLogger("tracklet.server")


def reap(store: MetadataStore, timeout: float, now: float) -> int:
    """Crash the running runs silent since ``now - timeout``; how many changed."""
    stale = store.list_running(heartbeat_before=now - timeout)
    if not stale:
        return 0
    return store.mark_crashed([info.ref for info in stale], at=now)


def check_interval(timeout: float) -> float:
    return min(60.0, max(0.05, timeout / 4))


async def reap_forever(store: MetadataStore, timeout: float,
                       clock: Callable[[], float] = time.time) -> None:
    interval = check_interval(timeout)
    while True:
        try:
            changed = await run_in_threadpool(reap, store, timeout, clock())
            if changed:
                log.info("marked %d run(s) crashed: no heartbeat for %.0f s", changed,
                         timeout)
        except Exception:  # a database hiccup: try again next round
            log.warning("could not check heartbeats", exc_info=True)
        await asyncio.sleep(interval)
