"""Logging images side by side: tracklet (local mode) against wandb (offline).

Each tracker runs in its own interpreter (see harness.py) and a fresh temp dir. The child
makes N distinct RGB images of SIZE x SIZE (numpy uint8), and for each one times
``Image(array, caption=...)`` (the encode, on the caller's thread in both) and the
``log({"img": image, "loss": x})`` call separately; then 2,000 scalar-only ``log()`` calls
(does the image backlog slow the training loop down?), ``finish()``, and how many images
were stored (tracklet: read back through ``Api().run().media()`` with their bytes; wandb:
files in the offline run's media folder).

    .venv/bin/python benchmarks/bench_media.py [--images 200] [--size 64]

Needs numpy and Pillow in the wandb env (``setup_envs.sh`` installs them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from harness import RESULTS, check, child_env, interpreter
from workload import MARK

CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
import numpy as np
tracker, n, size, mark = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ns = time.perf_counter_ns
if tracker == "tracklet":
    import tracklet as t
    run = t.init(project="bench-media", settings={"system_metrics": False,
                                                  "console_capture": False})
else:
    import wandb as t
    run = t.init(project="bench-media", mode="offline")
rng = np.random.default_rng(0)
base = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
make, log = [], []
for i in range(n):
    a = base.copy()
    a[0, 0] = (i % 256, i // 256 % 256, 7)  # distinct bytes: no deduplication helps
    t0 = ns(); image = t.Image(a, caption=f"sample {i}"); t1 = ns()
    run.log({"img": image, "loss": float(i)}); t2 = ns()
    make.append(t1 - t0); log.append(t2 - t1)
scalars = []
for i in range(2000):
    t0 = ns(); run.log({"loss": float(i), "acc": 0.5}); scalars.append(ns() - t0)
t0 = ns(); run.finish(); finish = ns() - t0
if tracker == "tracklet":
    with t.Api() as api:
        rows = api.run(f"bench-media/{run.id}").media()
        stored = sum(1 for r in rows if "img" in r and len(r["img"].bytes()) > 0)
else:
    stored = len(list(Path(run.dir).glob("media/images/*.png")))
q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(len(xs) * p))] / 1000
print(mark + json.dumps({
    "image_us_p50": q(make, 0.5), "log_us_p50": q(log, 0.5), "log_us_p99": q(log, 0.99),
    "log_us_max": max(log) / 1000, "scalar_log_us_p50": q(scalars, 0.5),
    "scalar_log_us_p99": q(scalars, 0.99), "finish_s": finish / 1e9, "stored": stored}))
"""


def run_child(tracker: str, images: int, size: int) -> dict[str, object]:
    import subprocess

    py = interpreter(tracker)
    assert py is not None
    with tempfile.TemporaryDirectory(prefix=f"bench-media-{tracker}-") as tmp:
        done = subprocess.run([py, "-c", CHILD, tracker, str(images), str(size), MARK],
                              env=child_env(tracker, Path(tmp)), cwd=tmp,
                              capture_output=True, text=True, timeout=600)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK):]))
    raise RuntimeError(f"{tracker} failed:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    for tracker in ("tracklet", "wandb"):
        problem = check(tracker)
        if problem:
            print(f"{tracker}: {problem}", file=sys.stderr)
            continue
        results[tracker] = run_child(tracker, args.images, args.size)
    keys = ["image_us_p50", "log_us_p50", "log_us_p99", "log_us_max", "scalar_log_us_p50",
            "scalar_log_us_p99", "finish_s", "stored"]
    print(f"{args.images} images of {args.size}x{args.size} RGB")
    print(f"{'':20}" + "".join(f"{t:>12}" for t in results) + "   tracklet/wandb")
    for key in keys:
        row = [results[t][key] for t in results]
        ratio = ""
        if len(row) == 2 and isinstance(row[1], (int, float)) and row[1]:
            ratio = f"{float(row[0]) / float(row[1]):.2f}"  # type: ignore[arg-type]
        print(f"{key:20}" + "".join(f"{float(v):12.1f}" if isinstance(v, float) else
                                    f"{v!s:>12}" for v in row) + f"   {ratio:>14}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "bench_media.json"
    out.write_text(json.dumps({"images": args.images, "size": args.size,
                               "results": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
