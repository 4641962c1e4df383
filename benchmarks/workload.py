"""One tracker's workload, run in a child process with that tracker's own interpreter.

    python workload.py TRACKER --mode log|ingest --steps N --metrics M --dir TMPDIR

Only the standard library (plus psutil, when present) is imported at module level, so the
same file runs under the project venv (null, tracklet) and under benchmarks/.envs/<tracker>.
The child prints exactly one line ``BENCH_RESULT {json}`` on stdout; the parent parses it.
Every tracker runs with default settings, pointed at TMPDIR, with no network.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

MARK = "BENCH_RESULT "
MODULES = {
    "null": None,
    "tracklet": "tracklet",
    "wandb": "wandb",
    "mlflow": "mlflow",
    "trackio": "trackio",
}


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def children_rss() -> int:
    """Current RSS of all descendant processes (e.g. wandb-core), in bytes; 0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0
    total = 0
    for c in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += c.memory_info().rss
    return total


def self_rss() -> int:
    try:
        import psutil
    except ImportError:
        return 0
    return int(psutil.Process().memory_info().rss)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class Null:
    """Builds the dict and calls a no-op: the floor of the measuring loop itself."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def init(self, config: dict[str, Any]) -> None:
        pass

    def log_fn(self) -> Any:
        def log(d: dict[str, float]) -> None:
            pass

        return log

    def finish(self) -> None:
        pass

    def read_back(self, keys: list[str]) -> int | None:
        return None

    def run_bytes(self) -> int:
        return tree_bytes(self.tmp)


class Tracklet(Null):
    def init(self, config: dict[str, Any]) -> None:
        import tracklet

        self.mod = tracklet
        self.run = tracklet.init(project="bench", dir=str(self.tmp), config=config)

    def log_fn(self) -> Any:
        return self.run.log

    def finish(self) -> None:
        self.run.finish()

    def read_back(self, keys: list[str]) -> int | None:
        api = self.mod.Api(str(self.tmp))
        r = api.run(f"{self.run.entity}/{self.run.project}/{self.run.id}")
        return sum(1 for row in r.scan_history() for k in row if not k.startswith("_"))


class Wandb(Null):
    """Offline mode; defaults kept (system stats sampling, console capture, wandb-core)."""

    def init(self, config: dict[str, Any]) -> None:
        import wandb

        self.run = wandb.init(project="bench", dir=str(self.tmp), config=config, mode="offline")

    def log_fn(self) -> Any:
        return self.run.log

    def finish(self) -> None:
        self.run.finish()

    def _run_dir(self) -> Path:
        return next((self.tmp / "wandb").glob("offline-run-*"))

    def read_back(self, keys: list[str]) -> int | None:
        """wandb has no read API for offline runs: parse the .wandb leveldb-style log."""
        from wandb.proto import wandb_internal_pb2 as pb

        data = next(self._run_dir().glob("*.wandb")).read_bytes()
        block, pos, buf, n = 32768, 7, b"", 0  # 7-byte file header ":W&B" 0xBEE1 v0
        while pos + 7 <= len(data):
            if block - pos % block < 7:  # too little room left for a header: padding
                pos += block - pos % block
                continue
            _crc, length, kind = struct.unpack_from("<IHB", data, pos)
            pos += 7
            buf += data[pos : pos + length]
            pos += length
            if kind in (1, 4):  # FULL or LAST
                rec = pb.Record()
                rec.ParseFromString(buf)
                buf = b""
                if rec.WhichOneof("record_type") == "history":
                    n += sum(
                        1
                        for it in rec.history.item
                        if not (it.key or "/".join(it.nested_key)).startswith("_")
                    )
        return n

    def run_bytes(self) -> int:
        return tree_bytes(self._run_dir())


class Mlflow(Null):
    """SQLite backend store; synchronous log_metrics (the default)."""

    def init(self, config: dict[str, Any]) -> None:
        import mlflow

        self.mod = mlflow
        mlflow.set_tracking_uri(f"sqlite:///{self.tmp / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        self.run = mlflow.start_run()
        mlflow.log_params(config)

    def log_fn(self) -> Any:
        log_metrics = self.mod.log_metrics
        step = iter(range(1 << 62))

        def log(d: dict[str, float]) -> None:
            log_metrics(d, step=next(step))

        return log

    def finish(self) -> None:
        self.mod.end_run()

    def read_back(self, keys: list[str]) -> int | None:
        client = self.mod.tracking.MlflowClient()
        return sum(len(client.get_metric_history(self.run.info.run_id, k)) for k in keys)


class Trackio(Null):
    """Local SQLite storage under TRACKIO_DIR (set by the parent to TMPDIR/trackio)."""

    def init(self, config: dict[str, Any]) -> None:
        import trackio

        self.mod = trackio
        self.run = trackio.init(project="bench", name="bench-run", config=config)

    def log_fn(self) -> Any:
        return self.mod.log

    def finish(self) -> None:
        self.mod.finish()

    def read_back(self, keys: list[str]) -> int | None:
        from trackio.sqlite_storage import SQLiteStorage

        rows = SQLiteStorage.get_logs(project="bench", run="bench-run")
        return sum(1 for row in rows for k in row if k in keys)


ADAPTERS = {
    "null": Null,
    "tracklet": Tracklet,
    "wandb": Wandb,
    "mlflow": Mlflow,
    "trackio": Trackio,
}


def env_for(tracker: str, tmp: Path) -> dict[str, str]:
    """Environment the parent gives the child: every tracker writes only under tmp."""
    env = {"HF_HUB_OFFLINE": "1", "TRACKLET_DIR": str(tmp)}
    if tracker == "wandb":
        env |= {
            "WANDB_MODE": "offline",
            "WANDB_DIR": str(tmp),
            "WANDB_SILENT": "true",
            "WANDB_CACHE_DIR": str(tmp / ".cache"),
            "WANDB_CONFIG_DIR": str(tmp / ".config"),
            "WANDB_DATA_DIR": str(tmp / ".data"),
        }
    if tracker == "trackio":
        env |= {"TRACKIO_DIR": str(tmp / "trackio"), "GRADIO_ANALYTICS_ENABLED": "False"}
    return env


def lat_stats(lat: list[int]) -> dict[str, float | int]:
    s = sorted(lat)
    n = len(s)
    return {
        "mean_us": sum(s) / n / 1e3,
        "p50_us": s[n // 2] / 1e3,
        "p99_us": s[min(n - 1, int(n * 0.99))] / 1e3,
        "max_us": s[-1] / 1e3,
        "over_1ms": sum(1 for x in s if x > 1_000_000),
        "over_5ms": sum(1 for x in s if x > 5_000_000),
    }


def run_log(a: Null, steps: int, metrics: int) -> dict[str, Any]:
    """The side-by-side workload: time each log() call on the caller's thread."""
    keys = [f"metric_{j}" for j in range(metrics)]
    ns = time.perf_counter_ns
    t = ns()
    a.init({"steps": steps, "metrics": metrics})
    init_ns = ns() - t
    log = a.log_fn()
    lat = [0] * steps
    t_loop = ns()
    for i in range(steps):
        d = {k: i * 0.001 + j for j, k in enumerate(keys)}
        t0 = ns()
        log(d)
        lat[i] = ns() - t0
    loop_ns = ns() - t_loop
    kids = children_rss()
    t = ns()
    a.finish()
    finish_ns = ns() - t
    t = ns()
    n = a.read_back(keys)
    read_ns = ns() - t
    return {
        "init_ms": init_ns / 1e6,
        "log": lat_stats(lat),
        "loop_s": loop_ns / 1e9,
        "finish_ms": finish_ns / 1e6,
        "read_ms": read_ns / 1e6 if n is not None else None,
        "read_points": n,
        "expected_points": steps * metrics,
        "run_bytes": a.run_bytes(),
        "dir_bytes": tree_bytes(a.tmp),
        "peak_rss": peak_rss(),
        "children_rss": kids,
    }


def run_ingest(a: Null, steps: int, metrics: int) -> dict[str, Any]:
    """Sustained ingest: log as fast as possible, throughput up to finish() returning."""
    keys = [f"m{j:03d}" for j in range(metrics)]
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()
    t_start = time.perf_counter()

    def sample() -> None:
        while not stop.wait(0.1):
            samples.append((time.perf_counter() - t_start, self_rss(), children_rss()))

    a.init({"steps": steps, "metrics": metrics})
    log = a.log_fn()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    for i in range(steps):
        log({k: i * 0.001 + j for j, k in enumerate(keys)})
    t_logged = time.perf_counter()
    a.finish()
    t_done = time.perf_counter()
    stop.set()
    sampler.join()
    t = time.perf_counter()
    n = a.read_back(keys)
    read_s = time.perf_counter() - t
    points = steps * metrics
    return {
        "points": points,
        "log_s": t_logged - t0,
        "finish_s": t_done - t_logged,
        "total_s": t_done - t0,
        "points_per_s": points / (t_done - t0),
        "log_points_per_s": points / (t_logged - t0),
        "read_s": read_s,
        "read_points": n,
        "run_bytes": a.run_bytes(),
        "peak_rss": peak_rss(),
        "rss_samples": samples,
        "phases": {
            "log_start": t0 - t_start,
            "log_end": t_logged - t_start,
            "finish_end": t_done - t_start,
        },
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tracker", choices=sorted(ADAPTERS))
    p.add_argument("--mode", choices=["log", "ingest"], default="log")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--metrics", type=int, default=10)
    p.add_argument("--dir", type=Path, required=True)
    args = p.parse_args()
    tmp = args.dir.resolve()
    tmp.mkdir(parents=True, exist_ok=True)
    os.chdir(tmp)  # e.g. mlflow's default artifact root is relative to the cwd
    a = ADAPTERS[args.tracker](tmp)
    fn = run_log if args.mode == "log" else run_ingest
    out = fn(a, args.steps, args.metrics)
    out["version"] = version(args.tracker)
    sys.stdout.flush()
    sys.__stdout__.write(MARK + json.dumps(out) + "\n")
    sys.__stdout__.flush()


def version(tracker: str) -> str | None:
    mod = sys.modules.get(MODULES[tracker] or "")
    return getattr(mod, "__version__", None) if mod else None


if __name__ == "__main__":
    main()
