"""A damaged run log ships its good prefix, exactly, and says where the damage starts.

The checks walk the documented byte layout of a segment (core/framing.py) on their own:
    file  := b"TLOG" u16 version u32 header_len header_json  frame*
    frame := u32 payload_len u32 crc32(payload) payload          (little endian)
A payload is msgpack of one record (``[tag, seq, ts, ...]``) or of a list of them.
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from e2e_support import KEYS, Child, child_env, metric_value

import tracklet
from tracklet.shipping.local import LocalShipper
from tracklet.shipping.sync import SyncReport, sync_paths
from tracklet.store.base import RunRef
from tracklet.store.sql.store import SqlMetadataStore

STEPS = 400


@dataclass(frozen=True)
class Frame:
    start: int  # file offset of the frame's length field
    end: int  # file offset just past its payload
    steps: tuple[int, ...]  # the history steps its records carry


def walk_frames(data: bytes) -> list[Frame]:
    magic, _version, header_len = struct.unpack_from("<4sHI", data)
    assert magic == b"TLOG"
    pos = 10 + header_len
    frames = []
    while pos < len(data):
        length, _crc = struct.unpack_from("<II", data, pos)
        end = pos + 8 + length
        assert end <= len(data), "the intact log ends inside a frame"
        payload = msgspec.msgpack.decode(data[pos + 8:end])
        records = [payload] if isinstance(payload[0], str) else payload
        steps = tuple(rec[3] for rec in records if rec[0] == "h")
        frames.append(Frame(pos, end, steps))
        pos = end
    return frames


def sync_into_fresh_store(run_dir: Path, data: Path) -> SyncReport:
    data.mkdir()
    shipper = LocalShipper(SqlMetadataStore(f"sqlite:///{data / 'tracklet.db'}"))
    try:
        return sync_paths([run_dir], shipper)
    finally:
        shipper.close()


def stored_history(data: Path, path: str) -> dict[str, list[tuple[int, float]]]:
    with tracklet.Api(data) as api:
        api.run(path)  # exists
        return {s.key: list(zip(s.steps, s.values))
                for s in api.store.read_series(RunRef(*path.split("/")), KEYS)}


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes]:
    """One finished offline run logged by a real process: its run dir, path, segment."""
    base = tmp_path_factory.mktemp("offline")
    # a short flush interval and a paced loop: the log is written in many separate flushes
    env = child_env(base / "data", TRACKLET_FLUSH_INTERVAL="0.05")
    # module-scoped, so started here rather than through the per-test spawn fixture
    child = Child(["--mode", "offline", "--steps", str(STEPS), "--pace", "0.002"],
                  env=env, cwd=base)
    try:
        path = child.run_path()
        assert child.wait() == 0, child.describe()
        assert "finished" in child.stdout
    finally:
        child.close()
    run_dir = base / "data" / "runs" / path.split("/")[-1]
    (segment,) = run_dir.glob("*.tlog")
    return run_dir, path, segment.read_bytes()


def damaged_copy(tmp_path: Path, run_dir: Path, data: bytes) -> Path:
    copy = tmp_path / "copy" / run_dir.name
    shutil.copytree(run_dir, copy)
    (segment,) = copy.glob("*.tlog")
    segment.write_bytes(data)
    return copy


def expected_prefix(frames: list[Frame], damage_at: int) -> list[int]:
    return sorted(s for f in frames if f.end <= damage_at for s in f.steps)


def assert_history_is(stored: dict[str, list[tuple[int, float]]], steps: list[int]) -> None:
    assert sorted(stored) == (sorted(KEYS) if steps else [])
    for k, key in enumerate(KEYS):
        assert stored.get(key, []) == [(s, metric_value(s, k)) for s in steps], key


def test_intact_log_ships_every_step(offline_run, tmp_path: Path) -> None:
    run_dir, path, data = offline_run
    frames = walk_frames(data)
    assert sorted(s for f in frames for s in f.steps) == list(range(STEPS))
    report = sync_into_fresh_store(run_dir, tmp_path / "store")
    assert report.problems == []
    assert_history_is(stored_history(tmp_path / "store", path), list(range(STEPS)))
    with tracklet.Api(tmp_path / "store") as api:
        assert api.run(path).state == "finished"


def test_log_cut_inside_its_last_frame_ships_everything_before_it(
        offline_run, tmp_path: Path) -> None:
    run_dir, path, data = offline_run
    frames = walk_frames(data)
    last = frames[-1]
    cut = (last.start + last.end) // 2
    copy = damaged_copy(tmp_path, run_dir, data[:cut])

    report = sync_into_fresh_store(copy, tmp_path / "store")

    (result,) = report.segments
    assert result.run_path == path
    assert result.problem is not None
    assert f"byte {last.start}" in result.problem, result.problem
    expected = expected_prefix(frames, last.start)
    assert expected, "the frames before the last one hold history"
    assert_history_is(stored_history(tmp_path / "store", path), expected)


@pytest.mark.parametrize("where", ["header", "payload"])
def test_flipped_byte_in_a_middle_frame_ships_the_frames_before_it(
        offline_run, tmp_path: Path, where: str) -> None:
    run_dir, path, data = offline_run
    frames = walk_frames(data)
    with_steps = [i for i, f in enumerate(frames) if f.steps]
    bad = frames[with_steps[len(with_steps) // 2]]
    # the crc field, or a byte in the middle of the payload
    at = bad.start + 5 if where == "header" else (bad.start + 8 + bad.end) // 2
    broken = bytearray(data)
    broken[at] ^= 0x5A
    copy = damaged_copy(tmp_path, run_dir, bytes(broken))

    report = sync_into_fresh_store(copy, tmp_path / "store")

    (result,) = report.segments
    assert result.problem is not None
    assert f"byte {bad.start}" in result.problem, result.problem
    expected = expected_prefix(frames, bad.start)
    assert expected and expected[-1] < STEPS - 1  # damage in the middle, history both sides
    assert_history_is(stored_history(tmp_path / "store", path), expected)

    # a second sync of the same damaged log changes nothing and reports the same problem
    shipper = LocalShipper(SqlMetadataStore(f"sqlite:///{tmp_path / 'store' / 'tracklet.db'}"))
    try:
        again = sync_paths([copy], shipper)
    finally:
        shipper.close()
    assert again.shipped == 0
    assert again.segments[0].problem == result.problem
    assert_history_is(stored_history(tmp_path / "store", path), expected)
