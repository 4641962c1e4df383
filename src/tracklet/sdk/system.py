"""System metrics (host, this process, NVIDIA GPUs) sampled on a timer in a daemon thread.

`SystemMonitor` never raises into the training job: a metric that cannot be read is left out
of the sample, and an unexpected error in the monitor thread is logged once and counted while
sampling goes on. psutil and NVML are imported and initialised on the monitor thread, so
`start()` costs only a thread start.

Keys (all values are floats)::

    system/cpu_percent          system/memory_percent       system/memory_used_mb
    system/proc_rss_mb          system/proc_cpu_percent     system/disk_used_percent
    system/disk_read_mb         system/disk_write_mb        (MB since the monitor started)
    system/net_sent_mb          system/net_recv_mb          (MB since the monitor started)
    system/gpu.{i}.utilization_percent   system/gpu.{i}.memory_percent
    system/gpu.{i}.memory_used_mb        system/gpu.{i}.temperature_c   system/gpu.{i}.power_w
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SystemMonitor"]

logger = logging.getLogger(__name__)

_MB = 1024.0 * 1024.0
# Before the first sample, wait this long (at most one interval) so that CPU percentages are
# measured over a real time span instead of reading 0.0.
_WARMUP_S = 0.1
_STOP_JOIN_TIMEOUT_S = 5.0


class SystemMonitor:
    """Samples system metrics every `interval` seconds and passes each sample to `emit`.

    `emit` runs on the monitor thread. `sample()` may also be called directly (one reading).
    """

    def __init__(
        self,
        *,
        interval: float,
        emit: Callable[[dict[str, float]], None],
        pid: int | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive seconds, got {interval!r}")
        self._interval = float(interval)
        self._emit = emit
        self._pid = os.getpid() if pid is None else pid
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        # Serialises sample() between the monitor thread and direct callers, and guards the
        # baselines and NVML state below.
        self._lock = threading.Lock()
        self._initialised = False
        self._process: Any = None
        self._disk_base: tuple[float, float] | None = None
        self._net_base: tuple[float, float] | None = None
        self._nvml_tried = False
        self._nvml: Any = None  # the pynvml module once nvmlInit() succeeded
        self._gpu_handles: list[Any] = []
        self._failed_groups: set[str] = set()
        self._error_count = 0
        self._warned = False

    @property
    def error_count(self) -> int:
        """How many unexpected errors the monitor thread has survived (emit included)."""
        return self._error_count

    def start(self) -> None:
        """Start sampling on a daemon thread; the first sample follows within ~0.1 s."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop_event.clear()
        self._thread = threading.Thread(
            target=self._run, name="tracklet-system-monitor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (returns promptly) and shut NVML down. Safe to call twice."""
        self._stop_event.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_STOP_JOIN_TIMEOUT_S)
            if thread.is_alive():
                logger.debug("system monitor thread still busy after %ss", _STOP_JOIN_TIMEOUT_S)
                return  # leave NVML alone: the thread may still be inside an NVML call
        self._thread = None
        with self._lock:
            self._shutdown_nvml()

    def sample(self) -> dict[str, float]:
        """Take one reading. Metrics that cannot be read are omitted."""
        with self._lock:
            self._ensure_initialised()
            out: dict[str, float] = {}
            for group, reader in (
                ("cpu", self._read_cpu),
                ("memory", self._read_memory),
                ("process", self._read_process),
                ("disk_usage", self._read_disk_usage),
                ("disk_io", self._read_disk_io),
                ("net", self._read_net),
                ("gpu", self._read_gpus),
            ):
                try:
                    reader(out)
                except Exception:
                    self._note_group_failure(group)
            return out

    # -- thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            with self._lock:
                self._ensure_initialised()
        except Exception:
            self._report_error()
        if self._stop_event.wait(min(_WARMUP_S, self._interval)):
            return
        next_due = time.monotonic()
        while not self._stop_event.is_set():
            try:
                self._emit(self.sample())
            except Exception:
                self._report_error()
            next_due += self._interval
            now = time.monotonic()
            if next_due < now:  # fell behind (slow emit, suspended machine): skip ahead
                next_due = now + self._interval
            if self._stop_event.wait(next_due - now):
                return

    def _report_error(self) -> None:
        self._error_count += 1
        if not self._warned:
            self._warned = True
            logger.warning(
                "tracklet system monitor hit an error; sampling continues (logged once)",
                exc_info=True,
            )

    def _note_group_failure(self, group: str) -> None:
        if group not in self._failed_groups:
            self._failed_groups.add(group)
            logger.debug("cannot read %s metrics", group, exc_info=True)

    # -- setup (caller holds the lock) -------------------------------------------------------

    def _ensure_initialised(self) -> None:
        if not self._nvml_tried:
            self._nvml_tried = True
            self._init_nvml()
        if self._initialised:
            return
        self._initialised = True
        import psutil  # type: ignore[import-untyped, unused-ignore]

        with contextlib.suppress(Exception):
            psutil.cpu_percent(interval=None)  # primes the system-wide CPU counter
        try:
            self._process = psutil.Process(self._pid)
            self._process.cpu_percent(interval=None)  # primes the per-process counter
        except Exception:
            self._process = None
        try:
            disk = psutil.disk_io_counters()
            if disk is not None:
                self._disk_base = (float(disk.read_bytes), float(disk.write_bytes))
        except Exception:
            pass
        try:
            net = psutil.net_io_counters()
            if net is not None:
                self._net_base = (float(net.bytes_sent), float(net.bytes_recv))
        except Exception:
            pass

    def _init_nvml(self) -> None:
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:
            return  # no NVIDIA driver or library: no GPU keys
        self._nvml = pynvml
        try:
            count = int(pynvml.nvmlDeviceGetCount())
            self._gpu_handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception:
            self._gpu_handles = []
            self._note_group_failure("gpu")

    def _shutdown_nvml(self) -> None:
        nvml, self._nvml, self._gpu_handles = self._nvml, None, []
        self._nvml_tried = False  # a later start() or sample() initialises NVML again
        if nvml is not None:
            try:
                nvml.nvmlShutdown()
            except Exception:
                logger.debug("nvmlShutdown failed", exc_info=True)

    # -- readers (each fills `out`; a raise drops only its own group) -------------------------

    def _read_cpu(self, out: dict[str, float]) -> None:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        out["system/cpu_percent"] = float(psutil.cpu_percent(interval=None))

    def _read_memory(self, out: dict[str, float]) -> None:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        vm = psutil.virtual_memory()
        out["system/memory_percent"] = float(vm.percent)
        out["system/memory_used_mb"] = float(vm.used) / _MB

    def _read_process(self, out: dict[str, float]) -> None:
        if self._process is None:
            return
        with self._process.oneshot():
            out["system/proc_rss_mb"] = float(self._process.memory_info().rss) / _MB
            out["system/proc_cpu_percent"] = float(self._process.cpu_percent(interval=None))

    def _read_disk_usage(self, out: dict[str, float]) -> None:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        out["system/disk_used_percent"] = float(psutil.disk_usage(os.getcwd()).percent)

    def _read_disk_io(self, out: dict[str, float]) -> None:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        disk = psutil.disk_io_counters()
        if disk is None or self._disk_base is None:
            return
        read0, write0 = self._disk_base
        out["system/disk_read_mb"] = max(0.0, float(disk.read_bytes) - read0) / _MB
        out["system/disk_write_mb"] = max(0.0, float(disk.write_bytes) - write0) / _MB

    def _read_net(self, out: dict[str, float]) -> None:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        net = psutil.net_io_counters()
        if net is None or self._net_base is None:
            return
        sent0, recv0 = self._net_base
        out["system/net_sent_mb"] = max(0.0, float(net.bytes_sent) - sent0) / _MB
        out["system/net_recv_mb"] = max(0.0, float(net.bytes_recv) - recv0) / _MB

    def _read_gpus(self, out: dict[str, float]) -> None:
        nvml = self._nvml
        if nvml is None:
            return
        for i, handle in enumerate(self._gpu_handles):
            prefix = f"system/gpu.{i}."
            try:
                out[prefix + "utilization_percent"] = float(
                    nvml.nvmlDeviceGetUtilizationRates(handle).gpu
                )
            except Exception:
                self._note_group_failure("gpu.utilization")
            try:
                mem = nvml.nvmlDeviceGetMemoryInfo(handle)
                out[prefix + "memory_used_mb"] = float(mem.used) / _MB
                if mem.total:
                    out[prefix + "memory_percent"] = 100.0 * float(mem.used) / float(mem.total)
            except Exception:
                self._note_group_failure("gpu.memory")
            try:
                out[prefix + "temperature_c"] = float(
                    nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
                )
            except Exception:
                self._note_group_failure("gpu.temperature")
            try:  # milliwatts
                out[prefix + "power_w"] = float(nvml.nvmlDeviceGetPowerUsage(handle)) / 1000.0
            except Exception:
                self._note_group_failure("gpu.power")
