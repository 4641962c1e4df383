"""Artifact logging and download speed, beside a plain file copy to the same store.

Makes a folder of ``--files`` files totalling ``--size-mb`` MB (default 1,000 files, 1 GB),
then measures, in local mode (blobs under the data directory) and, with ``--server``,
through a real ``tracklet server`` process on 127.0.0.1:

* the first log (hash + store every file) against ``shutil.copytree`` of the same folder
  to the same disk (the ratio is what the issue bounds: within 2x);
* re-logging the unchanged folder (target: <= 2 s; nothing is sent);
* re-logging after changing one file (only that file is sent);
* downloading the version, and downloading it again when it is cached (target: <= 1 s).

    .venv/bin/python benchmarks/bench_artifacts.py --size-mb 1024 --files 1000 --server

Writes ``results/bench_artifacts.json``. Needs several times ``--size-mb`` of free disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
KEY = "bench-artifacts-key"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def make_data(root: Path, size_mb: int, files: int) -> int:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    each = size_mb * 1_000_000 // files
    for i in range(files):
        sub = root / f"shard-{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"part-{i:05d}.bin").write_bytes(rng.bytes(each))
    return each * files


def drop_written(path: Path) -> None:
    os.sync()  # the copy and the first log both pay for writing their bytes out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")}
    env["PYTHONPATH"] = str(HERE.parent / "src")
    proc = subprocess.Popen([sys.executable, "-m", "tracklet.cli.main", "server", "--port",
                             str(port), "--db", f"sqlite:///{tmp / 'server.db'}",
                             "--blobs", (tmp / "server-blobs").as_uri(), "--api-key", KEY,
                             "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def measure(mode: str, data: Path, tmp: Path, base_url: str | None) -> dict[str, Any]:
    import tracklet
    from tracklet.sdk.artifacts.client import reset_contexts

    settings: dict[str, Any] = {"system_metrics": False, "console_capture": False}
    if base_url:
        settings.update(base_url=base_url, api_key=KEY)
    client_dir = tmp / f"client-{mode}"
    run = tracklet.init(project="bench", entity="bench", dir=client_dir,
                        mode="online" if base_url else "local", settings=settings)
    out: dict[str, Any] = {"mode": mode}
    warm = tracklet.Artifact("warm-up", "dataset")  # imports and the store's start, untimed
    with warm.new_file("x.txt") as f:
        f.write("x")
    run.log_artifact(warm).wait()
    run.use_artifact("warm-up:latest").download(tmp / f"warm-{mode}")

    def log() -> Any:
        art = tracklet.Artifact("data", "dataset")
        art.add_dir(data)
        run.log_artifact(art).wait()
        return art

    out["first_log_s"], art = timed(lambda: (log(), drop_written(client_dir))[0])
    out["first_version"] = art.version
    out["relog_unchanged_s"], again = timed(log)
    out["relog_sent_files"] = again.stats.transferred_files
    out["relog_version"] = again.version
    victim = next(iter(sorted(data.rglob("*.bin"))))
    victim.write_bytes(victim.read_bytes()[::-1])
    out["relog_one_changed_s"], changed = timed(log)
    out["one_changed_sent_files"] = changed.stats.transferred_files
    out["one_changed_version"] = changed.version
    used = run.use_artifact("data:latest")
    root = tmp / f"download-{mode}"
    out["download_s"], _ = timed(lambda: used.download(root))
    out["cached_download_s"], _ = timed(lambda: used.download(root))
    out["cached_download_new_folder_s"], _ = timed(lambda: used.download(tmp / f"again-{mode}"))
    run.finish()
    reset_contexts()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--server", action="store_true",
                        help="also measure through a real tracklet server process")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracklet-bench-artifacts-"))
    results: dict[str, Any] = {"size_mb": args.size_mb, "files": args.files, "dir": str(tmp)}
    try:
        data = tmp / "data"
        results["bytes"] = make_data(data, args.size_mb, args.files)
        copy_s, _ = timed(lambda: (shutil.copytree(data, tmp / "plain-copy"),
                                   drop_written(tmp)))
        results["plain_copy_s"] = copy_s
        local = measure("local", data, tmp, None)
        local["first_log_vs_copy"] = local["first_log_s"] / copy_s
        results["local"] = local
        if args.server:
            proc, url = start_server(tmp)
            try:
                server = measure("server", data, tmp, url)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
            server["first_log_vs_copy"] = server["first_log_s"] / copy_s
            results["server"] = server
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['files']} files, {results['bytes'] / 1e9:.2f} GB; plain copy "
          f"{results['plain_copy_s']:.2f} s")
    for mode in ("local", "server"):
        r = results.get(mode)
        if r is None:
            continue
        print(f"[{mode}] first log {r['first_log_s']:.2f} s = {r['first_log_vs_copy']:.2f}x "
              f"the copy (target <= 2x); re-log unchanged {r['relog_unchanged_s']:.2f} s "
              f"(target <= 2 s, sent {r['relog_sent_files']} files, {r['relog_version']}); "
              f"one file changed {r['relog_one_changed_s']:.2f} s (sent "
              f"{r['one_changed_sent_files']} file, {r['one_changed_version']}); download "
              f"{r['download_s']:.2f} s; cached download {r['cached_download_s']:.2f} s "
              f"(target <= 1 s), into a new folder {r['cached_download_new_folder_s']:.2f} s")
    out = HERE / "results" / "bench_artifacts.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
