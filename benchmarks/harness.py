"""Parent-side helpers shared by bench_log.py and bench_ingest.py.

Finds each tracker's interpreter, runs workload.py in a child process with that interpreter
and an environment that points the tracker at a fresh temp dir, and parses its result line.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trackers import MODULES, env_for
from workload import MARK

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENVS = HERE / ".envs"
RESULTS = HERE / "results"
WORKLOAD = HERE / "workload.py"


def project_python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def interpreter(tracker: str) -> str | None:
    """The python that runs this tracker, or None when its env is missing."""
    if tracker in ("null", "tracklet"):
        return project_python()
    py = ENVS / tracker / "bin" / "python"
    return str(py) if py.exists() else None


def child_env(tracker: str, tmp: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if tracker == "tracklet":  # run from the working tree whether or not it is pip-installed
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO / "src"), env.get("PYTHONPATH")])
        )
    if tmp is not None:
        env |= env_for(tracker, tmp)
    return env


def _tail(text: str, n: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def check(tracker: str) -> str | None:
    """None when the tracker can run, else why not ("not installed", an import error...)."""
    py = interpreter(tracker)
    if py is None:
        return "not installed (run benchmarks/setup_envs.sh)"
    mod = MODULES[tracker]
    if mod is None:
        return None
    probe = f"import {mod}"
    if tracker == "tracklet":
        probe += "; tracklet.init; tracklet.Api"
    p = subprocess.run(
        [py, "-c", probe], env=child_env(tracker), capture_output=True, text=True, timeout=300
    )
    if p.returncode != 0:
        what = "not installed" if tracker != "tracklet" else "SDK not importable"
        return f"{what}: {_tail(p.stderr, 1)}"
    return None


def import_times(tracker: str, repeats: int) -> dict[str, Any]:
    """Median time of `import <tracker>` in fresh interpreters (in-process and wall)."""
    mod = MODULES[tracker]
    if mod is None:
        return {"import_ms": None, "import_wall_ms": None}
    py = interpreter(tracker)
    assert py is not None
    code = (
        f"import time; t = time.perf_counter_ns(); import {mod}; "
        "print((time.perf_counter_ns() - t) / 1e6)"
    )
    inner, wall = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(
            [py, "-c", code],
            env=child_env(tracker),
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        wall.append((time.perf_counter() - t) * 1e3)
        inner.append(float(out.strip().splitlines()[-1]))
    return {
        "import_ms": statistics.median(inner),
        "import_wall_ms": statistics.median(wall),
        "import_samples_ms": inner,
    }


def run_workload(
    tracker: str, mode: str, steps: int, metrics: int, *, timeout: float, keep: bool = False,
    warm: bool = False,
) -> dict[str, Any]:
    """Run workload.py for one tracker in its own interpreter and temp dir."""
    py = interpreter(tracker)
    assert py is not None
    tmp = Path(tempfile.mkdtemp(prefix=f"tracklet-bench-{tracker}-"))
    cmd = [
        py,
        str(WORKLOAD),
        tracker,
        "--mode",
        mode,
        "--steps",
        str(steps),
        "--metrics",
        str(metrics),
        "--dir",
        str(tmp),
        *(["--warm"] if warm else []),
    ]
    try:
        p = subprocess.run(
            cmd, env=child_env(tracker, tmp), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "dir": str(tmp)}
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for line in reversed(p.stdout.splitlines()):
        if line.startswith(MARK):
            out: dict[str, Any] = json.loads(line[len(MARK) :])
            if keep:
                out["dir"] = str(tmp)
            return out
    return {"error": f"exit {p.returncode}: {_tail(p.stderr or p.stdout)}"}


def loadavg(when: str) -> list[float]:
    """1/5/15-min load average; warns when the machine is busy (figures will be noisy)."""
    load = list(os.getloadavg())
    if load[0] > 0.5 * (os.cpu_count() or 1):
        print(
            f"warning: load average {load[0]:.2f} at {when} on {os.cpu_count()} CPUs: "
            "something else is running, figures will be noisy",
            file=sys.stderr,
        )
    return load


def write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
