"""``/api/v1/live``: new points of running runs as server-sent events.

Each connection polls the store every ``POLL_SECONDS`` with one cheap query (where each
run x key series ends: ``ArraySeriesReader.read_series_heads``, no points read) and reads
points only for the series that grew, from the step after the last one it sent. So a point
reaches the client within about ``POLL_SECONDS`` plus a query of being committed, from any
server process sharing the database.

The cursor is a step: every event's ``id`` is a step S such that each point at or below S
has been delivered for every run x key of the stream (later points may have been too).
Reconnecting with ``since=S`` (or the ``Last-Event-ID`` header an ``EventSource`` sends by
itself) loses nothing; a client keeps one value per (run, key, step), so a point sent
twice changes nothing. Steps written again below what was sent are not streamed: reread
them with ``/series`` or ``/runs/.../history``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from tracklet.errors import InvalidRequestError, TrackletError
from tracklet.server.auth import Access, Authorized, resolve_again
from tracklet.server.responses import json_safe
from tracklet.server.routes.common import READ_ERRORS, Store
from tracklet.server.routes.series import (
    MAX_KEYS,
    MAX_PAIRS,
    MAX_RUNS,
    parse_ref,
    read_arrays,
)
from tracklet.store.arrays import ArraySeriesReader, SeriesArrays, SeriesHead
from tracklet.store.base import MetadataStore, RunRef

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 5.0  # how often a stream's credentials are checked again
MAX_EVENT_POINTS = 10_000  # per event; more are sent at once in further events
STEP_BOUND = 2**62

Pair = tuple[RunRef, str]

router = APIRouter(tags=["live"])
_encoder = msgspec.json.Encoder()


@router.get(
    "/live", responses={**READ_ERRORS, 200: {
        "description": "A `text/event-stream`, open until the client goes.",
        "content": {"text/event-stream": {}}}},
    summary="New points of runs as they arrive (server-sent events)",
    description=(
        f"For each run (`entity/project/run_id`, repeat `runs`, at most {MAX_RUNS}) and "
        f"key (repeat `keys`, at most {MAX_KEYS}), an event `points` with data "
        "`{\"run\", \"key\", \"steps\", \"values\", \"timestamps\"}` whenever new points "
        "are stored (within about a second), at most "
        f"{MAX_EVENT_POINTS} points per event; an event `state` with `{{\"run\", "
        "\"state\"}}` when a run's state changes; a comment line every "
        f"{HEARTBEAT_SECONDS:.0f} s otherwise. Without `since` the stream starts with "
        "points stored after it opens (read what came before with `/series`); with "
        "`since=S`, every point whose step is above S. Each event's `id` is a step S "
        "such that all points at or below S were delivered: reconnect with `since=S` (an "
        "`EventSource` sends it as `Last-Event-ID` by itself). Values are JSON with NaN "
        "and infinities as strings, as everywhere. To poll instead, call "
        "`/runs/{entity}/{project}/{run_id}/history?min_step=<last step + 1>`."))
async def live(request: Request, auth: Authorized, store: Store,
               runs: Annotated[list[str], Query(description="entity/project/run_id")],
               keys: Annotated[list[str], Query()],
               since: Annotated[int | None, Query(ge=-STEP_BOUND, le=STEP_BOUND)] = None,
               last_event_id: Annotated[str | None, Header()] = None,
               ) -> StreamingResponse:
    refs = [parse_ref(path) for path in dict.fromkeys(runs)]
    wanted = list(dict.fromkeys(keys))
    if len(refs) > MAX_RUNS or len(wanted) > MAX_KEYS or len(refs) * len(wanted) > MAX_PAIRS:
        raise InvalidRequestError(f"at most {MAX_RUNS} runs, {MAX_KEYS} keys and "
                                  f"{MAX_PAIRS} run x key pairs per stream")
    if since is None and last_event_id:
        try:
            since = int(last_event_id)
        except ValueError:
            raise InvalidRequestError("Last-Event-ID must be a step (an event's id)",
                                      details={"header": "Last-Event-ID"}) from None
    for ref in refs:
        auth.require_read(ref.entity, ref.project, ref.run_id)
    await run_in_threadpool(_check_runs, store, refs)  # 404 before the stream starts
    feed = LiveFeed(store, refs, wanted)
    await run_in_threadpool(feed.start, since)

    def still_allowed() -> bool:
        try:
            again = Access(resolve_again(request, auth.settings, auth.accounts),
                           auth.accounts, auth.settings)
        except TrackletError:
            return False
        return all(again.can_read(r.entity, r.project, r.run_id) for r in refs)

    return StreamingResponse(
        event_stream(feed, request.is_disconnected, still_allowed=still_allowed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _check_runs(store: MetadataStore, refs: list[RunRef]) -> None:
    for ref in refs:
        store.get_run(ref)


class LiveFeed:
    """What one stream has sent: the last step per (run, key), and each run's state."""

    def __init__(self, store: MetadataStore, refs: list[RunRef], keys: list[str]) -> None:
        self.store, self.refs, self.keys = store, refs, keys
        self.sent: dict[Pair, int | None] = {}
        self.states: dict[RunRef, str] = {}
        self.floor: int | None = None  # what `since` said for pairs not seen yet

    def start(self, since: int | None) -> None:
        if since is not None:
            self.floor = since
            return
        for head in self.heads():  # from now on: what is stored already is not sent
            self.sent[(head.run, head.key)] = head.max_step
            self.states[head.run] = head.state

    def heads(self) -> list[SeriesHead]:
        if isinstance(self.store, ArraySeriesReader):
            return self.store.read_series_heads(self.refs, self.keys)
        # a store without the capability: the run's last step stands for each key
        out: list[SeriesHead] = []
        for ref in self.refs:
            info = self.store.get_run(ref)
            out.extend(SeriesHead(ref, key, info.last_step, 0, info.state)
                       for key in self.keys)
        return out

    def poll(self) -> tuple[list[str], bool]:
        """Events for what changed since the last poll, and whether more is waiting."""
        events: list[str] = []
        grown: dict[int | None, list[Pair]] = {}
        for head in self.heads():
            pair = (head.run, head.key)
            have = self.sent.get(pair, self.floor)
            if head.max_step is not None and (have is None or head.max_step > have):
                grown.setdefault(have, []).append(pair)
            if self.states.setdefault(head.run, head.state) != head.state:
                self.states[head.run] = head.state
                events.append(_event("state", {"run": head.run.path, "state": head.state}))
        more = False
        for have, pairs in grown.items():
            found = self._read(pairs, None if have is None else have + 1)
            for pair in pairs:
                series = found.get(pair)
                if series is None or not len(series):
                    continue
                more = more or len(series) >= MAX_EVENT_POINTS
                self.sent[pair] = int(series.steps[-1])
                events.append(_event("points", {
                    "run": pair[0].path, "key": pair[1], "steps": series.steps.tolist(),
                    "values": series.values.tolist(),
                    "timestamps": series.timestamps.tolist()}, self.cursor()))
        return events, more

    def _read(self, pairs: list[Pair], min_step: int | None) -> dict[Pair, SeriesArrays]:
        refs = list(dict.fromkeys(ref for ref, _ in pairs))
        keys = list(dict.fromkeys(key for _, key in pairs))
        return read_arrays(self.store, refs, keys, min_step=min_step,
                           limit=MAX_EVENT_POINTS)

    def cursor(self) -> int | None:
        """A step at or below which every point of the stream was delivered."""
        known = [step for step in self.sent.values() if step is not None]
        if self.floor is not None and len(self.sent) < len(self.refs) * len(self.keys):
            known.append(self.floor)  # pairs with nothing new yet: the client has <= since
        return min(known) if known else None


def _event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {_encoder.encode(json_safe(data)).decode()}\n\n"


async def event_stream(feed: LiveFeed, disconnected: Callable[[], Any], *,
                       poll_seconds: float = POLL_SECONDS,
                       heartbeat_seconds: float = HEARTBEAT_SECONDS,
                       still_allowed: Callable[[], bool] | None = None,
                       recheck_seconds: float = RECHECK_SECONDS,
                       clock: Callable[[], float] = time.monotonic) -> AsyncIterator[str]:
    """The stream's text: events as the feed finds them, a comment when quiet. Every
    ``recheck_seconds`` the caller's credentials are checked again: once they no longer
    read every run (a key revoked, a member removed), an ``error`` event ends the stream."""
    yield "retry: 1000\n: connected\n\n"
    quiet_since = checked = clock()
    while not await disconnected():
        if still_allowed is not None and clock() - checked >= recheck_seconds:
            checked = clock()
            if not await run_in_threadpool(still_allowed):
                yield _event("error", {"code": "unauthorized", "message": (
                    "the credentials of this stream no longer read these runs (a key "
                    "revoked, a session ended, access withdrawn)")})
                return
        events, more = await run_in_threadpool(feed.poll)
        for event in events:
            yield event
        now = clock()
        if events:
            quiet_since = now
        elif now - quiet_since >= heartbeat_seconds:
            quiet_since = now
            yield ": keepalive\n\n"
        if not more:
            await asyncio.sleep(poll_seconds)
