"""Byte layout of a run log, without any file I/O.

A run log is one *segment*: the records one process wrote for one run::

    file    := header frame*
    header  := b"TLOG" u16 version u32 header_len header_json
    frame   := u32 payload_len u32 crc32(payload) payload          (little endian)
    payload := msgpack array of Records (see ``records``), each with its own seq

A frame holds the batch of records the writer wrote at once, so the checksum and the
framing cost are paid per batch, not per record. Array-like records are msgpack arrays
``[tag, seq, ts, ...]``: the writer may encode plain tuples of that shape.

``decode_frames`` stops at the first frame that is incomplete or fails its CRC and says
where, so a torn tail (a crash mid-write) costs at most that frame and whatever follows.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from tracklet.core.records import Record
from tracklet.core.segment import VERSION, SegmentHeader

MAGIC = b"TLOG"
MAX_FRAME = 64 * 1024 * 1024
_HEAD = struct.Struct("<4sHI")
_FRAME = struct.Struct("<II")

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[Record])


def encode_header(header: SegmentHeader) -> bytes:
    body = json.dumps(header.to_json(), separators=(",", ":")).encode()
    return _HEAD.pack(MAGIC, VERSION, len(body)) + body


def decode_header(buf: bytes) -> tuple[SegmentHeader, int] | None:
    """Return the header and its length, or None if ``buf`` does not yet hold all of it.

    Raises ValueError when the bytes are not a run log of a version we can read.
    """
    if len(buf) < _HEAD.size:
        if not MAGIC.startswith(buf[: len(MAGIC)]):
            raise ValueError("not a Tracklet run log (bad magic bytes)")
        return None
    magic, version, length = _HEAD.unpack_from(buf)
    if magic != MAGIC:
        raise ValueError("not a Tracklet run log (bad magic bytes)")
    if version > VERSION:
        raise ValueError(
            f"run log version {version} is newer than this Tracklet reads ({VERSION}); upgrade"
        )
    end = _HEAD.size + length
    if len(buf) < end:
        return None
    data = json.loads(buf[_HEAD.size:end])
    header = SegmentHeader(segment=data["segment"], run_id=data["run_id"],
                           project=data["project"], entity=data["entity"], version=version)
    return header, end


def encode_frames(records: Sequence[Record | tuple[Any, ...]]) -> bytes:
    """One frame holding ``records`` (Record structs or tuples of the same wire shape)."""
    if not records:
        return b""
    payload = _encoder.encode(records)
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def frame_size(buf: bytes | memoryview, start: int = 0) -> int:
    """Bytes the frame starting at ``start`` takes, header included (8 if unknown yet)."""
    if len(buf) - start < _FRAME.size:
        return _FRAME.size
    length, _ = _FRAME.unpack_from(buf, start)
    return int(_FRAME.size + min(length, MAX_FRAME))


@dataclass(frozen=True)
class Decoded:
    """What ``decode_frames`` found: records, bytes consumed, and why it stopped early."""

    records: list[Record]
    consumed: int
    problem: str | None = None  # None, "incomplete" or a description of the corruption


def decode_frames(buf: bytes | memoryview, start: int = 0, limit: int | None = None) -> Decoded:
    """Decode whole frames from ``buf[start:]``, at most ``limit`` of them."""
    view = memoryview(buf)
    pos = start
    out: list[Record] = []
    size = len(view)
    while pos < size and (limit is None or len(out) < limit):
        if size - pos < _FRAME.size:
            return Decoded(out, pos - start, "incomplete")
        length, crc = _FRAME.unpack_from(view, pos)
        if length > MAX_FRAME:
            return Decoded(out, pos - start, f"frame length {length} is implausible")
        body = pos + _FRAME.size
        if size - body < length:
            return Decoded(out, pos - start, "incomplete")
        payload = view[body:body + length]
        if zlib.crc32(payload) != crc:
            return Decoded(out, pos - start, "checksum mismatch")
        try:
            out.extend(_decoder.decode(payload))
        except msgspec.DecodeError as exc:
            return Decoded(out, pos - start, f"undecodable record ({exc})")
        pos = body + length
    return Decoded(out, pos - start, None)
