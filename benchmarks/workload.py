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
import importlib
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from trackers import ADAPTERS, MODULES, Null, tree_bytes

MARK = "BENCH_RESULT "


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


def reread(a: Null, keys: list[str], n: int | None, expected: int) -> dict[str, Any]:
    """A short count right after finish(): was it late (re-read after 1 s) or lost?"""
    if n is None or n >= expected:
        return {}
    time.sleep(1.0)
    return {"read_points_after_1s": a.read_back(keys)}


def run_log(a: Null, steps: int, metrics: int) -> dict[str, Any]:
    """The side-by-side workload: time each log() call on the caller's thread."""
    keys = [f"metric_{j}" for j in range(metrics)]
    ns = time.perf_counter_ns
    if a.module is not None:
        importlib.import_module(a.module)  # measured on its own, in fresh processes
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
    } | reread(a, keys, n, steps * metrics)


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
    } | reread(a, keys, n, points)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tracker", choices=sorted(ADAPTERS))
    p.add_argument("--mode", choices=["log", "ingest"], default="log")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--metrics", type=int, default=10)
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--warm", action="store_true",
                   help="first log a short run in this process: steady-state figures")
    args = p.parse_args()
    tmp = args.dir.resolve()
    tmp.mkdir(parents=True, exist_ok=True)
    os.chdir(tmp)  # e.g. mlflow's default artifact root is relative to the cwd
    if args.warm:
        warm = tmp / "warm-up"
        warm.mkdir()
        w = ADAPTERS[args.tracker](warm)
        w.init({"warm_up": True})
        log = w.log_fn()
        for i in range(100):
            log({f"metric_{j}": float(i + j) for j in range(args.metrics)})
        w.finish()
        tmp = tmp / "measured"
        tmp.mkdir()
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
