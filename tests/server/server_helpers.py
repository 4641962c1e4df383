"""Building record batches like the SDK's writer does, and talking to an in-process app."""

from __future__ import annotations

import contextlib
import itertools
import math
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from tracklet.core import records as r
from tracklet.server import ServerSettings, create_app

KEY = "secret-key-1"
AUTH = {"Authorization": f"Bearer {KEY}"}
MSGPACK = {**AUTH, "Content-Type": "application/x-msgpack"}
_segments = itertools.count()


class Batches:
    """Records of one run-log segment with contiguous seqs (1, 2, ...), as the writer makes
    them; ``url`` is where they are posted."""

    def __init__(self, run_id: str = "run00001", *, project: str = "proj",
                 entity: str = "team", t0: float = 1_700_000_000.0) -> None:
        self.run_id, self.project, self.entity = run_id, project, entity
        self.segment = f"seg{next(_segments):013d}"
        self.seq = 0
        self.ts = t0

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"

    @property
    def url(self) -> str:
        return f"/api/v1/ingest/{self.path}/{self.segment}"

    def _next(self) -> tuple[int, float]:
        self.seq += 1
        self.ts += 1.0
        return self.seq, self.ts

    def start(self, name: str = "first", **kw: Any) -> r.RunStart:
        seq, ts = self._next()
        return r.RunStart(seq, ts, self.run_id, self.project, self.entity, name, **kw)

    def history(self, step: int, values: dict[str, float]) -> r.History:
        seq, ts = self._next()
        return r.History(seq, ts, step, values)

    def config(self, values: dict[str, Any]) -> r.ConfigUpdate:
        seq, ts = self._next()
        return r.ConfigUpdate(seq, ts, values)

    def console(self, *lines: str) -> r.Console:
        seq, ts = self._next()
        return r.Console(seq, ts, [(ts, "stdout", text) for text in lines])

    def heartbeat(self) -> r.Heartbeat:
        seq, ts = self._next()
        return r.Heartbeat(seq, ts)

    def finish(self, state: str = "finished") -> r.RunFinish:
        seq, ts = self._next()
        return r.RunFinish(seq, ts, state, 0)


def encode(records: list[Any]) -> bytes:
    return msgspec.msgpack.encode(records)


def settings_for(db_url: str, **changes: Any) -> ServerSettings:
    """Settings of a test server; artifact blobs go to a fresh temporary folder (never the
    working directory, where a PostgreSQL server would put them by default)."""
    values: dict[str, Any] = {"api_keys": [KEY], "heartbeat_timeout": 0, **changes}
    values.setdefault("blobs", tempfile.mkdtemp(prefix="tracklet-test-blobs-"))
    return ServerSettings(db_url=db_url, **values)


@contextlib.asynccontextmanager
async def open_client(settings: ServerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to a fresh app in this process (its lifespan running)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracklet") as c:
            yield c


def as_float(value: Any) -> float:
    """A JSON number or one of the names of non-finite floats."""
    return float(value)


def same(a: list[Any], b: list[float]) -> bool:
    """Lists of floats equal, NaN equal to NaN (JSON's "NaN" strings read back)."""
    return len(a) == len(b) and all(
        (math.isnan(as_float(x)) and math.isnan(y)) or as_float(x) == y for x, y in zip(a, b))
