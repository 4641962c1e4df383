"""Side-by-side log() benchmark: null loop, tracklet, wandb, mlflow, trackio.

Same workload for every tracker (default 10 float metrics x 10,000 steps), each in its own
interpreter (benchmarks/.envs/<tracker>, made by setup_envs.sh) and its own temp dir.
Prints each figure and the ratios; writes benchmarks/results/bench_log.json.

    python benchmarks/bench_log.py [--steps N] [--metrics M] [--trackers null,tracklet,...]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Any

import harness

TRACKERS = ["null", "tracklet", "wandb", "trackio", "mlflow"]

# (label, path into a tracker's result, format, tracklet's target (upper bound) or None)
FIGURES: list[tuple[str, str, str, float | None]] = [
    ("import (ms, median)", "import_ms", "{:.1f}", 150),
    ("init() (ms)", "init_ms", "{:.1f}", 20),
    ("log() mean (µs)", "log.mean_us", "{:.2f}", 5),
    ("log() p50 (µs)", "log.p50_us", "{:.2f}", None),
    ("log() p99 (µs)", "log.p99_us", "{:.2f}", 25),
    ("log() max (µs)", "log.max_us", "{:.0f}", None),
    ("log() calls > 1 ms", "log.over_1ms", "{:d}", None),
    ("log() calls > 5 ms", "log.over_5ms", "{:d}", None),
    ("log loop total (s)", "loop_s", "{:.3f}", None),
    ("finish() (ms)", "finish_ms", "{:.1f}", 300),
    ("read back all (ms)", "read_ms", "{:.1f}", 200),
    ("points read back", "read_points", "{:d}", None),
    ("run data on disk (MB)", "run_mb", "{:.2f}", None),
    ("peak RSS (MB)", "peak_rss_mb", "{:.1f}", None),
    ("child procs RSS (MB)", "children_rss_mb", "{:.1f}", None),
]


def get(res: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(res, dict) or part not in res:
            return None
        res = res[part]
    return res


def fmt(value: Any, spec: str) -> str:
    if value is None:
        return "n/a"
    try:
        return spec.format(value)
    except (ValueError, TypeError):
        return str(value)


def late(res: dict[str, Any], path: str) -> str:
    """Points missing right after finish(): how many a re-read 1 s later found."""
    later = res.get("read_points_after_1s")
    return f" ({later} after 1 s)" if path == "read_points" and later is not None else ""


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Each tracker's mean log() relative to tracklet's and to the null loop's."""
    mean = {t: get(r, "log.mean_us") for t, r in results.items()}
    out = {}
    for t, m in mean.items():
        out[t] = {
            base: (m / mean[base] if m and mean.get(base) else None)
            for base in ("tracklet", "null")
        }
    return out


def targets(results: dict[str, dict[str, Any]]) -> dict[str, bool | None]:
    """Tracklet's targets from the issue: True met, False missed, None not measured."""
    tr = results.get("tracklet", {})
    if "error" in tr or "log" not in tr:
        return {}
    out: dict[str, bool | None] = {}
    for label, path, _, limit in FIGURES:
        if limit is not None:
            v = get(tr, path)
            out[f"{label} <= {limit}"] = None if v is None else v <= limit
    out["all points readable"] = tr.get("read_points") == tr.get("expected_points")
    wb = results.get("wandb", {}).get("run_bytes")
    out["run bytes <= wandb run dir"] = None if wb is None else tr["run_bytes"] <= wb
    return out


def show(results: dict[str, dict[str, Any]], rat: dict[str, Any], tgt: dict[str, Any]) -> None:
    names = list(results)
    head = ["figure", *names, "target (tracklet)"]
    rows = [
        ["status", *[results[t].get("error", "ok")[:60] for t in names], ""],
        ["version", *[str(results[t].get("version") or "") for t in names], ""],
    ]
    for label, path, spec, limit in FIGURES:
        cells = [fmt(get(results[t], path), spec) + late(results[t], path) for t in names]
        rows.append([label, *cells, "" if limit is None else f"<= {limit}"])
    for base in ("tracklet", "null"):
        rows.append(
            [
                f"log() mean ÷ {base}",
                *[
                    fmt(rat[t][base], "{:,.0f}x" if (rat[t][base] or 0) >= 100 else "{:.3g}x")
                    for t in names
                ],
                "",
            ]
        )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    else:
        table = Table(title="log() benchmark: same workload, side by side")
        for i, h in enumerate(head):
            table.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
        for r in rows:
            table.add_row(*r)
        Console(width=max(120, 20 * len(head))).print(table)
    for name, ok in tgt.items():
        print(f"  tracklet target {name}: {'n/a' if ok is None else 'met' if ok else 'MISSED'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--metrics", type=int, default=10)
    p.add_argument("--trackers", default=",".join(TRACKERS))
    p.add_argument("--import-repeats", type=int, default=5)
    p.add_argument("--timeout", type=float, default=900, help="seconds per tracker workload")
    p.add_argument("--keep", action="store_true", help="keep each tracker's temp dir")
    p.add_argument("--out", default="bench_log.json", help="file name under results/")
    p.add_argument("--warm", action="store_true",
                   help="each tracker first logs a short run in the same process, so the "
                   "figures are steady state rather than a cold process")
    args = p.parse_args()
    load_start = harness.loadavg("start")

    results: dict[str, dict[str, Any]] = {}
    for tracker in args.trackers.split(","):
        why = harness.check(tracker)
        if why is not None:
            print(f"[{tracker}] skipped: {why}", file=sys.stderr)
            results[tracker] = {"error": why, "skipped": True}
            continue
        print(f"[{tracker}] import x{args.import_repeats} ...", file=sys.stderr, flush=True)
        res = harness.import_times(tracker, args.import_repeats)
        print(f"[{tracker}] workload ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        res |= harness.run_workload(
            tracker, "log", args.steps, args.metrics, timeout=args.timeout, keep=args.keep,
            warm=args.warm,
        )
        res["wall_s"] = time.perf_counter() - t
        if "error" in res:
            print(f"[{tracker}] FAILED: {res['error']}", file=sys.stderr)
        else:
            res["run_mb"] = res["run_bytes"] / 1e6
            res["peak_rss_mb"] = res["peak_rss"] / 1e6
            res["children_rss_mb"] = res["children_rss"] / 1e6
        results[tracker] = res

    rat = ratios(results)
    tgt = targets(results)
    show(results, rat, tgt)
    meta = {
        "loadavg_start": load_start,
        "loadavg_end": harness.loadavg("end"),
        "steps": args.steps,
        "metrics": args.metrics,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = harness.write_json(
        args.out, {"meta": meta, "results": results, "ratios": rat, "tracklet_targets": tgt}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
