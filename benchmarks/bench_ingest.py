"""Sustained ingest: log as fast as possible from one process, until every point is stored.

Default workload: 100 float metrics x 20,000 steps = 2,000,000 points into tracklet.
Throughput is points / (time from the first log() to finish() returning), i.e. until all
points are in the store; they are then read back through the tracker's API and counted.
RSS (the process plus its children) is sampled every 100 ms to show memory stays bounded.
Writes benchmarks/results/bench_ingest.json.

    python benchmarks/bench_ingest.py [--steps N] [--metrics M] [--compare mlflow,trackio]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Any

import harness

TARGET_POINTS_PER_S = 200_000


def rss_summary(res: dict[str, Any]) -> dict[str, float | None]:
    """RSS (process + children, MB) at the start of logging, its max, and at the end."""
    ph = res["phases"]
    during = [
        (t, (s + c) / 1e6)
        for t, s, c in res["rss_samples"]
        if ph["log_start"] <= t <= ph["finish_end"]
    ]
    if not during:
        return {
            "rss_start_mb": None,
            "rss_max_mb": None,
            "rss_end_mb": None,
            "rss_growth_2nd_half_mb": None,
        }
    mid = (ph["log_start"] + ph["log_end"]) / 2
    first_half_max = max((m for t, m in during if t <= mid), default=during[0][1])
    return {
        "rss_start_mb": during[0][1],
        "rss_max_mb": max(m for _, m in during),
        "rss_end_mb": during[-1][1],
        # > 0 and growing with --steps means memory grows with the points logged
        "rss_growth_2nd_half_mb": max(m for _, m in during) - first_half_max,
    }


def late(r: dict[str, Any]) -> str:
    later = r.get("read_points_after_1s")
    return "" if later is None else f" ({later:,} after 1 s)"


def decimate(samples: list[list[float]], keep: int = 200) -> list[list[float]]:
    step = max(1, len(samples) // keep)
    return samples[::step]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--metrics", type=int, default=100)
    p.add_argument("--compare", default="", help="also run these trackers, e.g. mlflow,trackio")
    p.add_argument(
        "--compare-steps",
        type=int,
        default=1_000,
        help="steps for the --compare trackers (mlflow needs ~25 ms a step)",
    )
    p.add_argument("--no-null", action="store_true", help="skip the null loop (dict floor)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per tracker")
    p.add_argument("--keep", action="store_true", help="keep each tracker's temp dir")
    p.add_argument("--out", default="bench_ingest.json", help="file name under results/")
    args = p.parse_args()
    load_start = harness.loadavg("start")

    plan = [] if args.no_null else [("null", args.steps)]
    plan.append(("tracklet", args.steps))
    plan += [(t, args.compare_steps) for t in args.compare.split(",") if t]

    results: dict[str, dict[str, Any]] = {}
    for tracker, steps in plan:
        why = harness.check(tracker)
        if why is not None:
            print(f"[{tracker}] skipped: {why}", file=sys.stderr)
            results[tracker] = {"error": why, "skipped": True}
            continue
        print(f"[{tracker}] ingest {steps} x {args.metrics} ...", file=sys.stderr, flush=True)
        res = harness.run_workload(
            tracker, "ingest", steps, args.metrics, timeout=args.timeout, keep=args.keep
        )
        if "error" in res:
            print(f"[{tracker}] FAILED: {res['error']}", file=sys.stderr)
        else:
            res |= rss_summary(res)
            res["rss_samples"] = decimate(res["rss_samples"])
        results[tracker] = res

    print(
        f"\nsustained ingest, {args.metrics} metrics per step "
        f"(target for tracklet: >= {TARGET_POINTS_PER_S:,} points/s, bounded RSS)"
    )
    head = (
        "tracker",
        "points",
        "log s",
        "finish s",
        "points/s",
        "log-phase pts/s",
        "read back",
        "read s",
        "disk MB",
        "RSS start/max/end MB",
    )
    rows = [head]
    for t, r in results.items():
        if "error" in r:
            rows.append((t, r["error"][:70], *[""] * (len(head) - 2)))
            continue
        rss = "/".join(
            "n/a" if r[k] is None else f"{r[k]:.0f}"
            for k in ("rss_start_mb", "rss_max_mb", "rss_end_mb")
        )
        rows.append(
            (
                t,
                f"{r['points']:,}",
                f"{r['log_s']:.2f}",
                f"{r['finish_s']:.2f}",
                f"{r['points_per_s']:,.0f}",
                f"{r['log_points_per_s']:,.0f}",
                "n/a" if r["read_points"] is None else f"{r['read_points']:,}" + late(r),
                f"{r['read_s']:.2f}",
                f"{r['run_bytes'] / 1e6:.1f}",
                rss,
            )
        )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    for r in rows:
        print(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )

    tr = results.get("tracklet", {})
    verdict: dict[str, bool | None] = {}
    if "points_per_s" in tr:
        verdict["points/s >= target"] = tr["points_per_s"] >= TARGET_POINTS_PER_S
        verdict["all points readable"] = tr["read_points"] == tr["points"]
        for name, ok in verdict.items():
            print(f"  tracklet {name}: {'met' if ok else 'MISSED'}")
        print(
            f"  tracklet RSS grew {tr['rss_growth_2nd_half_mb']:.1f} MB in the second half of "
            "the run (re-run with 2x --steps: a bounded writer stays flat)"
        )
    meta = {
        "loadavg_start": load_start,
        "loadavg_end": harness.loadavg("end"),
        "steps": args.steps,
        "metrics": args.metrics,
        "compare_steps": args.compare_steps,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = harness.write_json(
        args.out, {"meta": meta, "results": results, "tracklet_targets": verdict}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
