"""Run-log byte layout (tracklet.core.framing): round trips, torn tails, corruption, header."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklet.core.framing import decode_frames, decode_header, encode_frames, encode_header
from tracklet.core.records import (
    ConfigUpdate,
    Console,
    DefineMetric,
    Heartbeat,
    History,
    Metadata,
    Record,
    RunFinish,
    RunStart,
    RunUpdate,
    SummaryUpdate,
    System,
)
from tracklet.core.segment import VERSION, SegmentHeader

HEADER = SegmentHeader(segment="seg0123456789abc", run_id="abc12345", project="proj",
                       entity="team")

ONE_OF_EACH: list[Record] = [
    RunStart(1, 1000.5, "abc12345", "proj", "team", "brisk-river-1", group="g", job_type="train",
             tags=["a", "b"], notes="first try", resumed=True),
    RunUpdate(2, 1000.6, {"name": "renamed", "tags": ["c"]}),
    Metadata(3, 1000.7, {"host": "h", "git": {"commit": "abc", "dirty": False}, "argv": ["x"]}),
    History(4, 1000.8, 7, {"loss": 0.25, "acc": 1.0}),
    System(5, 1000.9, {"system/cpu_percent": 12.5}),
    Console(6, 1001.0, [(1000.95, "stdout", "hello"), (1001.0, "stderr", "héllo ✓")]),
    ConfigUpdate(7, 1001.1, {"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}},
                 locked=["lr"]),
    SummaryUpdate(8, 1001.2, {"best": 3, "note": None}, removed=["old"]),
    DefineMetric(9, 1001.3, "eval/*", step_metric="epoch", summary=["min", "last"],
                 goal="minimize"),
    Heartbeat(10, 1001.4),
    RunFinish(11, 1001.5, "failed", exit_code=1, traceback="Traceback ...", dropped=2),
]


def batches(records: list[Record], sizes: list[int]) -> list[list[Record]]:
    out, i = [], 0
    for n in sizes:
        out.append(records[i:i + n])
        i += n
    assert i == len(records)
    return out


@pytest.mark.parametrize("record", ONE_OF_EACH, ids=lambda r: type(r).__name__)
def test_each_record_type_round_trips(record: Record) -> None:
    buf = encode_frames([record])
    decoded = decode_frames(buf)
    assert decoded.records == [record]
    assert type(decoded.records[0]) is type(record)
    assert decoded.consumed == len(buf)
    assert decoded.problem is None


def test_several_frames_round_trip_in_order() -> None:
    frames = [encode_frames(b) for b in batches(ONE_OF_EACH, [3, 1, 5, 2])]
    buf = b"".join(frames)
    decoded = decode_frames(buf)
    assert decoded.records == ONE_OF_EACH
    assert decoded.consumed == len(buf)
    assert decoded.problem is None


def test_default_fields_round_trip() -> None:
    records: list[Record] = [RunStart(1, 1.0, "r", "p", "e", "n"), RunFinish(2, 2.0, "finished")]
    assert decode_frames(encode_frames(records)).records == records


def test_tuple_of_the_wire_shape_decodes_as_the_record() -> None:
    buf = encode_frames([("h", 1, 5.0, 3, {"loss": 0.5}), ("sys", 2, 6.0, {"system/x": 1.0})])
    assert decode_frames(buf).records == [History(1, 5.0, 3, {"loss": 0.5}),
                                          System(2, 6.0, {"system/x": 1.0})]


def test_empty_input() -> None:
    assert encode_frames([]) == b""
    decoded = decode_frames(b"")
    assert (decoded.records, decoded.consumed, decoded.problem) == ([], 0, None)


def test_torn_tail_at_every_offset_keeps_all_earlier_records() -> None:
    first, second, last = batches(ONE_OF_EACH, [4, 3, 4])
    prefix = encode_frames(first) + encode_frames(second)
    buf = prefix + encode_frames(last)
    for cut in range(len(prefix) + 1, len(buf)):
        decoded = decode_frames(buf[:cut])
        assert decoded.records == first + second, cut
        assert decoded.consumed == len(prefix), cut
        assert decoded.problem == "incomplete", cut


def test_torn_single_frame_gives_nothing_and_consumes_nothing() -> None:
    buf = encode_frames(ONE_OF_EACH[:2])
    for cut in range(1, len(buf)):
        decoded = decode_frames(buf[:cut])
        assert (decoded.records, decoded.consumed, decoded.problem) == ([], 0, "incomplete")


def test_flipped_byte_stops_at_the_bad_frame() -> None:
    first, second, third = batches(ONE_OF_EACH, [3, 4, 4])
    f1, f2, f3 = encode_frames(first), encode_frames(second), encode_frames(third)
    bad = bytearray(f1 + f2 + f3)
    bad[len(f1) + len(f2) - 1] ^= 0x40  # the last byte of the middle frame
    decoded = decode_frames(bytes(bad))
    assert decoded.records == first
    assert decoded.consumed == len(f1)
    assert decoded.problem == "checksum mismatch"


def test_every_flipped_payload_byte_is_caught() -> None:
    frame = encode_frames(ONE_OF_EACH[3:6])
    good = encode_frames(ONE_OF_EACH[:1])
    for i in range(len(frame) // 2, len(frame)):  # well inside the payload
        bad = bytearray(good + frame)
        bad[len(good) + i] ^= 0x01
        decoded = decode_frames(bytes(bad))
        assert decoded.records == ONE_OF_EACH[:1], i
        assert decoded.consumed == len(good), i
        assert decoded.problem == "checksum mismatch", i


def test_garbage_length_is_not_read_as_a_frame() -> None:
    good = encode_frames(ONE_OF_EACH[:2])
    garbage = struct.pack("<II", 0xFFFFFFF0, 0) + b"\x00" * 16
    decoded = decode_frames(good + garbage)
    assert decoded.records == ONE_OF_EACH[:2]
    assert decoded.consumed == len(good)
    assert decoded.problem is not None and decoded.problem != "incomplete"


# -- header ------------------------------------------------------------------------------------


def test_header_round_trip() -> None:
    data = encode_header(HEADER) + encode_frames(ONE_OF_EACH[:1])
    found = decode_header(data)
    assert found is not None
    header, length = found
    assert header == HEADER
    assert header.version == VERSION
    assert header.run_path == "team/proj/abc12345"
    assert decode_frames(data[length:]).records == ONE_OF_EACH[:1]


def test_partial_header_asks_for_more() -> None:
    data = encode_header(HEADER)
    for cut in range(0, len(data)):
        assert decode_header(data[:cut]) is None, cut


@pytest.mark.parametrize("data", [b"XLOG" + b"\x00" * 20, b"PK\x03\x04", b"{", b"TLOX" + b"\x01"])
def test_bad_magic_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a Tracklet run log"):
        decode_header(data)


def test_newer_version_says_upgrade() -> None:
    data = bytearray(encode_header(HEADER))
    struct.pack_into("<H", data, 4, VERSION + 1)
    with pytest.raises(ValueError, match="upgrade"):
        decode_header(bytes(data))


# -- property: random History values, NaN and infinities included -----------------------------

values = st.dictionaries(
    st.text(min_size=1, max_size=20),
    st.floats(allow_nan=True, allow_infinity=True),
    max_size=8,
)


def same_float(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1, x) == math.copysign(1, y)  # -0.0 stays -0.0


def same_values(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(same_float(a[k], b[k]) for k in a)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**63 - 1), st.floats(0, 2e9), values), min_size=1,
                max_size=20),
       st.integers(1, 5))
def test_history_round_trip_property(rows: list[tuple[int, float, dict[str, float]]],
                                     per_frame: int) -> None:
    records = [History(i + 1, ts, step, vals) for i, (step, ts, vals) in enumerate(rows)]
    buf = b"".join(encode_frames(records[i:i + per_frame])
                   for i in range(0, len(records), per_frame))
    decoded = decode_frames(buf)
    assert decoded.problem is None and decoded.consumed == len(buf)
    assert len(decoded.records) == len(records)
    for got, want in zip(decoded.records, records):
        assert isinstance(got, History)
        assert (got.seq, got.ts, got.step) == (want.seq, want.ts, want.step)
        assert same_values(got.values, want.values)
