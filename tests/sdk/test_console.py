"""ConsoleCapture: lines reach the real stream and emit; the user's print never breaks."""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tracklet.sdk.console import ConsoleCapture

Line = tuple[str, str, float]


class Recorder:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self._lock = threading.Lock()

    def __call__(self, stream: str, line: str, when: float) -> None:
        with self._lock:
            self.lines.append((stream, line, when))

    def texts(self, stream: str | None = None) -> list[str]:
        return [text for name, text, _ in self.lines if stream is None or name == stream]


class Terminal:
    """StringIOs standing in for the real stdout/stderr, installed for a `with` block.

    (Installed in the test body: pytest re-installs its own capture streams between fixture
    setup and the test call, so a fixture could not do it.)
    """

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self._saved = sys.stdout, sys.stderr

    def __enter__(self) -> Terminal:
        self._saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.out, self.err
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self._saved


@contextlib.contextmanager
def capturing(
    emit: Callable[[str, str, float], None], **kwargs: int
) -> Iterator[tuple[ConsoleCapture, Terminal]]:
    with Terminal() as terminal:
        cap = ConsoleCapture(emit, **kwargs)
        cap.start()
        try:
            yield cap, terminal
        finally:
            cap.stop()


def test_print_reaches_terminal_and_emit() -> None:
    recorder = Recorder()
    with capturing(recorder) as (_, terminal):
        before = time.time()
        print("hello")
        print("oops", file=sys.stderr)
        after = time.time()
    assert terminal.out.getvalue() == "hello\n"
    assert terminal.err.getvalue() == "oops\n"
    assert [(name, text) for name, text, _ in recorder.lines] == [
        ("stdout", "hello"),
        ("stderr", "oops"),
    ]
    assert all(before <= when <= after for _, _, when in recorder.lines)


def test_partial_writes_join_and_stop_flushes_tail_and_restores() -> None:
    recorder = Recorder()
    with Terminal() as terminal:
        cap = ConsoleCapture(recorder)
        cap.start()
        sys.stdout.write("ab")
        assert terminal.out.getvalue() == "ab"  # written through at once, not held back
        sys.stdout.write("c")
        sys.stdout.write("d\ne")
        assert recorder.texts() == ["abcd"]
        cap.stop()
        assert recorder.texts() == ["abcd", "e"]
        assert sys.stdout is terminal.out and sys.stderr is terminal.err
        print("after stop")
    assert recorder.texts() == ["abcd", "e"]
    assert terminal.out.getvalue() == "abcd\neafter stop\n"


def test_carriage_returns_behave_like_a_terminal() -> None:
    recorder = Recorder()
    with capturing(recorder) as (_, terminal):
        for pct in range(0, 101, 10):  # a progress bar redrawing itself
            sys.stderr.write(f"\rtraining {pct:3d}%")
        sys.stderr.write("\n")
        sys.stdout.write("windows line\r\n")
        sys.stdout.write("split\r")
        sys.stdout.write("\n")
        sys.stdout.write("abcdef\rXY\n")
    assert recorder.texts("stderr") == ["training 100%"]
    assert recorder.texts("stdout") == ["windows line", "split", "XYcdef"]
    assert terminal.err.getvalue().endswith("\rtraining 100%\n")  # the terminal gets it all


def test_long_lines_are_truncated_with_a_marker() -> None:
    recorder = Recorder()
    with capturing(recorder, max_line=10) as (_, terminal):
        sys.stdout.write("a" * 25)
        sys.stdout.write("b" * 25 + "\nshort\n")
    long_line, short = recorder.texts()
    assert long_line.startswith("a" * 10) and "truncated" in long_line
    assert "b" not in long_line
    assert short == "short"
    assert terminal.out.getvalue() == "a" * 25 + "b" * 25 + "\nshort\n"


def test_writes_from_four_threads_give_whole_lines() -> None:
    recorder = Recorder()
    per_thread = 300
    start = threading.Barrier(4)

    def worker(t: int) -> None:
        start.wait()
        for i in range(0, per_thread, 2):  # one or two whole lines per write
            if i % 4:
                sys.stdout.write(f"t{t} line {i} {'x' * 40}\n")
                sys.stdout.write(f"t{t} line {i + 1} {'x' * 40}\n")
            else:
                sys.stdout.write(f"t{t} line {i} {'x' * 40}\nt{t} line {i + 1} {'x' * 40}\n")

    with capturing(recorder) as (_, terminal):
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    expected = {f"t{t} line {i} {'x' * 40}" for t in range(4) for i in range(per_thread)}
    assert len(recorder.lines) == 4 * per_thread
    assert set(recorder.texts("stdout")) == expected
    assert set(terminal.out.getvalue().splitlines()) == expected


def test_failing_emit_does_not_break_print() -> None:
    def emit(stream: str, line: str, when: float) -> None:
        raise RuntimeError("writer queue is gone")

    with (
        capturing(emit) as (cap, terminal),
        pytest.warns(RuntimeWarning, match="console capture") as record,
    ):
        print("first")
        print("second")
    assert terminal.out.getvalue() == "first\nsecond\n"
    assert cap.error_count == 2
    assert len(record) == 1  # warned once, counted twice


def test_output_printed_inside_emit_is_not_captured_again() -> None:
    seen: list[str] = []

    def emit(stream: str, line: str, when: float) -> None:
        seen.append(line)
        print(f"echo {line}")  # would recurse forever if captured

    with capturing(emit) as (_, terminal):
        print("one")
    assert seen == ["one"]
    assert terminal.out.getvalue() == "one\necho one\n"


def test_stop_leaves_a_stream_someone_else_installed() -> None:
    recorder = Recorder()
    with Terminal() as terminal:
        cap = ConsoleCapture(recorder)
        cap.start()
        proxy = sys.stdout
        replacement = io.StringIO()
        sys.stdout = replacement
        cap.stop()
        assert sys.stdout is replacement
        assert sys.stderr is terminal.err  # ours was still there, so it was restored
    proxy.write("late\n")  # a stale reference now only passes writes through
    assert terminal.out.getvalue() == "late\n"
    assert recorder.lines == []


def test_proxy_forwards_stream_attributes() -> None:
    raw = io.BytesIO()
    original = io.TextIOWrapper(raw, encoding="latin-1", write_through=True)
    saved = sys.stdout
    sys.stdout = original
    try:
        cap = ConsoleCapture(Recorder())
        cap.start()
        try:
            assert sys.stdout is not original
            assert sys.stdout.encoding == "latin-1"
            assert sys.stdout.buffer is raw
            assert sys.stdout.isatty() is False
            with pytest.raises(io.UnsupportedOperation):
                sys.stdout.fileno()  # BytesIO has no descriptor: the original's answer
            sys.stdout.write("\u00e9\n")
            sys.stdout.flush()
        finally:
            cap.stop()
    finally:
        sys.stdout = saved
    assert raw.getvalue() == "\u00e9\n".encode("latin-1")
