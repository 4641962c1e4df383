"""``/api/v1/ingest``: record batches of run-log segments, applied exactly once.

A batch is the msgpack array of records a run log holds (``tracklet.core.records``), in
``seq`` order. The store applies each ``(run, segment, seq)`` once and stops at a gap, so
a retried or replayed batch changes nothing, and the reply's ``acked`` (the highest
contiguous ``seq`` held) tells the client where to go on from.
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated

import msgspec
from fastapi import APIRouter, Header, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tracklet.core.records import Record, RunStart
from tracklet.core.segment import SegmentHeader
from tracklet.errors import InvalidRequestError, TooLargeError, UnsupportedMediaTypeError
from tracklet.server.auth import CanWriteProject
from tracklet.server.limits import gunzip
from tracklet.server.responses import MSGPACK_TYPES, respond
from tracklet.server.routes.common import Settings, Store, errors
from tracklet.server.schemas import Acked
from tracklet.server.settings import ServerSettings
from tracklet.store.base import MetadataStore

NAME = r"^[A-Za-z0-9_.-]{1,128}$"
ID = r"^[A-Za-z0-9_-]{1,64}$"
_SEQ_RANGE = re.compile(r"^\s*(\d{1,18})\s*-\s*(\d{1,18})\s*$")
_decoder = msgspec.msgpack.Decoder(list[Record])

router = APIRouter(prefix="/ingest", tags=["ingest"])

Entity = Annotated[str, Path(pattern=NAME, description="Entity (user or team).")]
Project = Annotated[str, Path(pattern=NAME)]
RunId = Annotated[str, Path(pattern=ID, description="Client-generated run id.")]
Segment = Annotated[str, Path(pattern=ID, description="Client-generated segment id.")]

BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": (
            "A msgpack array of records (`tracklet.core.records`, array-like, tagged), "
            "in `seq` order, `Content-Type: application/x-msgpack`, optionally "
            "`Content-Encoding: gzip`. At most `max_body_bytes` (default 32 MiB) as sent "
            "and after decompression, and at most `max_batch_records` (default 100,000) "
            "records; larger batches get 413 `body_too_large`."),
        "content": {"application/x-msgpack": {"schema": {"type": "string",
                                                          "format": "binary"}}},
    }
}


@router.post(
    "/{entity}/{project}/{run_id}/{segment}", response_model=Acked,
    summary="Append a batch of records to a run-log segment",
    description=(
        "Applies the records of one segment exactly once (idempotent: records at or "
        "below the acked `seq` are skipped) and replies with the highest contiguous `seq` "
        "now held. A batch that starts after a gap is not applied: `acked` then tells "
        "where to resume. The optional header `X-Tracklet-Seq-Range: first-last` must "
        "match the batch. `X-Tracklet-Live: 1` says the sender is the running process "
        "itself (not a replay such as `tracklet sync`): the batch then counts as a "
        "heartbeat on the server's clock and revives a run marked crashed."),
    responses=errors(400, 401, 403, 404, 413, 415, 503), openapi_extra=BODY_DOC)
async def append(request: Request, entity: Entity, project: Project, run_id: RunId,
                 segment: Segment, caller: CanWriteProject, store: Store, settings: Settings,
                 content_type: Annotated[str | None, Header()] = None,
                 content_encoding: Annotated[str | None, Header()] = None,
                 seq_range: Annotated[str | None, Header(alias="X-Tracklet-Seq-Range")]
                 = None,
                 live: Annotated[bool, Header(alias="X-Tracklet-Live")] = False) -> Response:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in MSGPACK_TYPES:
        raise UnsupportedMediaTypeError("send records as `Content-Type: application/"
                                        "x-msgpack`", details={"content_type": media})
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaTypeError(f"Content-Encoding {encoding!r} is not read; send "
                                        "the body plain or gzip-compressed",
                                        details={"content_encoding": encoding})
    body = await request.body()
    header = SegmentHeader(segment, run_id, project, entity)
    acked = await run_in_threadpool(_ingest, store, settings, header, body,
                                    encoding == "gzip", seq_range, live)
    return respond(request, {"acked": acked})


@router.get("/{entity}/{project}/{run_id}/{segment}", response_model=Acked,
            summary="Where a segment stands: the highest contiguous seq held",
            responses=errors(400, 401, 403, 404, 503))
def acked(request: Request, entity: str, project: str, run_id: str, segment: str,
          caller: CanWriteProject, store: Store) -> Response:
    seq = store.get_segment_seq(SegmentHeader(segment, run_id, project, entity))
    return respond(request, {"acked": seq})


def _ingest(store: MetadataStore, settings: ServerSettings, header: SegmentHeader,
            body: bytes, gzipped: bool, seq_range: str | None, live: bool) -> int:
    if gzipped:
        body = gunzip(body, settings.max_body_bytes)
    records = decode_batch(body, settings.max_batch_records)
    _check(records, header, seq_range)
    acked = store.get_segment_seq(header)
    if not records or records[-1].seq <= acked or records[0].seq > acked + 1:
        return acked  # nothing new, or a gap before the batch: nothing to write
    return store.append_records(header, records, live=live)


def array_length(body: bytes) -> int | None:
    """The length a msgpack array at the start of ``body`` declares (None: not an array)."""
    if not body:
        return None
    first = body[0]
    if 0x90 <= first <= 0x9F:
        return first & 0x0F
    if first == 0xDC and len(body) >= 3:
        return int.from_bytes(body[1:3], "big")
    if first == 0xDD and len(body) >= 5:
        return int.from_bytes(body[1:5], "big")
    return None


def decode_batch(body: bytes, max_records: int) -> list[Record]:
    """The records of a batch, sorted by ``seq``; 413 past ``max_records`` (checked before
    decoding), 400 for anything that is not a msgpack array of records."""
    count = array_length(body)
    if count is None:
        raise InvalidRequestError("the body is not a msgpack array of records")
    if count > max_records:
        raise TooLargeError(f"the batch holds {count} records, more than this server's "
                            f"limit of {max_records}; send smaller batches",
                            details={"max_batch_records": max_records, "records": count})
    try:
        records = _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidRequestError(f"the body is not a valid batch of records: {exc}") from None
    if any(a.seq >= b.seq for a, b in itertools.pairwise(records)):
        records.sort(key=lambda r: r.seq)
        if any(a.seq == b.seq for a, b in itertools.pairwise(records)):
            raise InvalidRequestError("the batch holds two records with the same seq")
    return records


def _check(records: list[Record], header: SegmentHeader, seq_range: str | None) -> None:
    if records and records[0].seq < 1:
        raise InvalidRequestError("record seqs start at 1")
    if seq_range is not None:
        match = _SEQ_RANGE.match(seq_range)
        if match is None:
            raise InvalidRequestError("X-Tracklet-Seq-Range must be `first-last`, e.g. 1-500")
        first, last = int(match.group(1)), int(match.group(2))
        if not records or (records[0].seq, records[-1].seq) != (first, last):
            got = f"{records[0].seq}-{records[-1].seq}" if records else "none"
            raise InvalidRequestError(f"X-Tracklet-Seq-Range says {first}-{last} but the "
                                      f"batch holds seqs {got}; the body may be cut short")
    for rec in records:
        if isinstance(rec, RunStart) and (rec.entity, rec.project, rec.run_id) != (
                header.entity, header.project, header.run_id):
            raise InvalidRequestError(
                f"the batch starts run {rec.entity}/{rec.project}/{rec.run_id} but was "
                f"sent to {header.run_path}")
