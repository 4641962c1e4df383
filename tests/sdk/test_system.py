"""SystemMonitor: real readings from this machine, and NVML faked only to inject GPUs/faults."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tracklet.sdk.system import SystemMonitor

GPU_SUFFIXES = (
    "utilization_percent",
    "memory_percent",
    "memory_used_mb",
    "temperature_c",
    "power_w",
)
MB = 1024 * 1024


class Collector:
    """An emit callback that signals once `want` samples have arrived."""

    def __init__(self, want: int) -> None:
        self.want = want
        self.samples: list[dict[str, float]] = []
        self.enough = threading.Event()

    def __call__(self, sample: dict[str, float]) -> None:
        self.samples.append(sample)
        if len(self.samples) >= self.want:
            self.enough.set()


class NVMLLibraryNotFound(Exception):
    """Stands in for pynvml.NVMLError_LibraryNotFound."""


def fake_pynvml(
    *, gpus: int = 2, init_error: bool = False, power_fails_on: int | None = None
) -> tuple[types.ModuleType, dict[str, int]]:
    calls = {"init": 0, "shutdown": 0}
    mod = types.ModuleType("pynvml")

    def nvml_init() -> None:
        calls["init"] += 1
        if init_error:
            raise NVMLLibraryNotFound("NVML Shared Library Not Found")

    def nvml_shutdown() -> None:
        calls["shutdown"] += 1

    def power_usage(handle: int) -> int:
        if handle == power_fails_on:
            raise RuntimeError("Not Supported")
        return 150_000 + 1000 * handle  # milliwatts

    functions: dict[str, Callable[..., Any]] = {
        "nvmlInit": nvml_init,
        "nvmlShutdown": nvml_shutdown,
        "nvmlDeviceGetCount": lambda: gpus,
        "nvmlDeviceGetHandleByIndex": lambda i: i,
        "nvmlDeviceGetUtilizationRates": lambda h: SimpleNamespace(gpu=10 * (h + 1), memory=5),
        "nvmlDeviceGetMemoryInfo": lambda h: SimpleNamespace(
            used=(h + 1) * 1024 * MB, total=4096 * MB, free=(3 - h) * 1024 * MB
        ),
        "nvmlDeviceGetTemperature": lambda h, sensor: 40 + h if sensor == 0 else -1,
        "nvmlDeviceGetPowerUsage": power_usage,
    }
    for name, func in functions.items():
        setattr(mod, name, func)
    mod.NVML_TEMPERATURE_GPU = 0  # type: ignore[attr-defined]
    return mod, calls


@pytest.fixture
def no_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave like a machine without nvidia-ml-py, whatever this one has."""
    monkeypatch.setitem(sys.modules, "pynvml", None)


def gpu_keys(sample: dict[str, float]) -> list[str]:
    return [key for key in sample if key.startswith("system/gpu.")]


def test_real_sample_has_plausible_values() -> None:
    monitor = SystemMonitor(interval=1.0, emit=lambda s: None)
    try:
        monitor.sample()  # first reading primes the CPU counters
        sum(i * i for i in range(200_000))  # some CPU time for this process
        sample = monitor.sample()
    finally:
        monitor.stop()
    ncpu = os.cpu_count() or 1
    assert all(isinstance(value, float) for value in sample.values())
    assert 0.0 <= sample["system/cpu_percent"] <= 100.0
    assert 0.0 <= sample["system/proc_cpu_percent"] <= 100.0 * ncpu
    assert 0.0 < sample["system/memory_percent"] <= 100.0
    assert sample["system/memory_used_mb"] > 0
    assert sample["system/proc_rss_mb"] > 1  # a Python interpreter is well over 1 MB
    assert 0.0 < sample["system/disk_used_percent"] <= 100.0


def test_io_counters_are_non_negative_deltas(tmp_path: Any) -> None:
    monitor = SystemMonitor(interval=1.0, emit=lambda s: None)
    try:
        first = monitor.sample()
        with open(tmp_path / "blob", "wb") as f:
            f.write(os.urandom(256 * 1024))
            f.flush()
            os.fsync(f.fileno())
        second = monitor.sample()
    finally:
        monitor.stop()
    assert "system/net_sent_mb" in first and "system/net_recv_mb" in first
    for sample in (first, second):
        for key in ("net_sent_mb", "net_recv_mb", "disk_read_mb", "disk_write_mb"):
            if f"system/{key}" in sample:  # disk counters are missing in some containers
                assert sample[f"system/{key}"] >= 0.0
    # Since-start deltas: the first reading is (about) zero, not the machine's lifetime total.
    assert first["system/net_sent_mb"] < 100


@pytest.mark.usefixtures("no_nvml")
def test_thread_delivers_samples_and_stops_quickly() -> None:
    collector = Collector(want=2)
    monitor = SystemMonitor(interval=0.05, emit=collector)
    monitor.start()
    try:
        assert collector.enough.wait(timeout=10), "monitor delivered fewer than 2 samples"
    finally:
        began = time.monotonic()
        monitor.stop()
        stop_took = time.monotonic() - began
    assert stop_took < 1.0
    assert "system/cpu_percent" in collector.samples[0]
    assert not any(t.name == "tracklet-system-monitor" for t in threading.enumerate())


@pytest.mark.usefixtures("no_nvml")
def test_first_sample_is_prompt_and_stop_does_not_wait_for_the_interval() -> None:
    collector = Collector(want=1)
    monitor = SystemMonitor(interval=60.0, emit=collector)
    monitor.start()
    try:
        assert collector.enough.wait(timeout=5), "first sample should not wait an interval"
    finally:
        began = time.monotonic()
        monitor.stop()
        assert time.monotonic() - began < 1.0


@pytest.mark.usefixtures("no_nvml")
def test_without_nvml_there_are_no_gpu_keys() -> None:
    monitor = SystemMonitor(interval=1.0, emit=lambda s: None)
    sample = monitor.sample()
    monitor.stop()
    assert gpu_keys(sample) == []
    assert "system/cpu_percent" in sample


def test_fake_nvml_with_two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    mod, calls = fake_pynvml(gpus=2)
    monkeypatch.setitem(sys.modules, "pynvml", mod)
    monitor = SystemMonitor(interval=1.0, emit=lambda s: None)
    sample = monitor.sample()
    monitor.stop()

    assert sorted(gpu_keys(sample)) == sorted(
        f"system/gpu.{i}.{suffix}" for i in (0, 1) for suffix in GPU_SUFFIXES
    )
    assert sample["system/gpu.0.utilization_percent"] == 10.0
    assert sample["system/gpu.1.utilization_percent"] == 20.0
    assert sample["system/gpu.0.memory_used_mb"] == 1024.0
    assert sample["system/gpu.1.memory_percent"] == pytest.approx(50.0)
    assert sample["system/gpu.1.temperature_c"] == 41.0
    assert sample["system/gpu.0.power_w"] == pytest.approx(150.0)
    assert "system/cpu_percent" in sample
    assert calls == {"init": 1, "shutdown": 1}


def test_one_failing_gpu_metric_leaves_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    mod, _ = fake_pynvml(gpus=2, power_fails_on=1)
    monkeypatch.setitem(sys.modules, "pynvml", mod)
    monitor = SystemMonitor(interval=1.0, emit=lambda s: None)
    sample = monitor.sample()
    monitor.stop()
    assert "system/gpu.1.power_w" not in sample
    assert "system/gpu.0.power_w" in sample
    assert "system/gpu.1.temperature_c" in sample


def test_nvml_init_failure_keeps_other_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    mod, calls = fake_pynvml(init_error=True)
    monkeypatch.setitem(sys.modules, "pynvml", mod)
    collector = Collector(want=2)
    monitor = SystemMonitor(interval=0.05, emit=collector)
    monitor.start()
    try:
        assert collector.enough.wait(timeout=10)
    finally:
        monitor.stop()
    for sample in collector.samples:
        assert gpu_keys(sample) == []
        assert {"system/cpu_percent", "system/memory_used_mb", "system/proc_rss_mb"} <= set(sample)
    assert calls["shutdown"] == 0  # never initialised, so nothing to shut down
    assert monitor.error_count == 0


@pytest.mark.usefixtures("no_nvml")
def test_failing_emit_is_logged_once_and_sampling_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = Collector(want=3)

    def emit(sample: dict[str, float]) -> None:
        attempts(sample)
        raise ValueError("queue is broken")

    monitor = SystemMonitor(interval=0.05, emit=emit)
    with caplog.at_level(logging.WARNING, logger="tracklet.sdk.system"):
        monitor.start()
        try:
            assert attempts.enough.wait(timeout=10), "sampling stopped after emit raised"
        finally:
            monitor.stop()
    warnings_logged = [r for r in caplog.records if r.name == "tracklet.sdk.system"]
    assert len(warnings_logged) == 1
    assert monitor.error_count >= 3


def test_rejects_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval"):
        SystemMonitor(interval=0, emit=lambda s: None)
