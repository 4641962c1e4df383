"""The tracking server's figures: ingest from 8 clients, chart series, runs list.

Reported figures, not a timed test (see README.md, "Tracking server"):

(a) ingest points/s from ``--clients`` concurrent client processes posting msgpack record
    batches (as ``HttpShipper`` does: gzip level 1, ``X-Tracklet-Seq-Range``) into a real
    ``tracklet server`` subprocess on 127.0.0.1, over SQLite and over PostgreSQL (a
    throwaway cluster, as the tests start one), with the server's RSS;
(b) ``/api/v1/series`` p50 for one run x one key x 1,000,000 points -> 1,000 buckets and
    for 100 runs x 10,000 points x one key, through the HTTP endpoint of an app in this
    process (httpx's ASGI transport: no socket), as JSON with gzip (httpx's default
    ``Accept-Encoding``), JSON without, and msgpack without;
(c) ``/api/v1/runs`` first page over 10,000 runs filtered on a config value and sorted by
    a summary metric, p50.

Writes ``benchmarks/results/bench_server.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO / "tests"))  # servers.py: the throwaway PostgreSQL cluster

from tracklet.core import records as r  # noqa: E402
from tracklet.core.segment import SegmentHeader  # noqa: E402

KEY = "bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TARGETS = {"ingest_pts_s": 500_000, "series_1x1m_ms": 50, "series_100x10k_ms": 150,
           "runs_list_ms": 100}


# -- (a) ingest ----------------------------------------------------------------------------


def _client(url: str, index: int, steps: int, metrics: int, batch: int,
            ready: Any, go: Any, out: Any) -> None:
    """One client process: its run's batches are encoded first, then posted one by one."""
    encoder = msgspec.msgpack.Encoder()
    run_id = f"ingest{index:04d}"
    path = f"/api/v1/ingest/bench/ingest/{run_id}/seg{index:013d}"
    t0 = 1_700_000_000.0
    seq = 1
    bodies = [(encoder.encode([r.RunStart(1, t0, run_id, "ingest", "bench", run_id)]), "1-1")]
    names = [f"metric_{m}" for m in range(metrics)]
    for start in range(0, steps, batch):
        recs = []
        for step in range(start, min(start + batch, steps)):
            seq += 1
            recs.append(r.History(seq, t0 + step, step,
                                  dict(zip(names, [step * 1e-3 + m for m in range(metrics)]))))
        body = gzip.compress(encoder.encode(recs), compresslevel=1)
        bodies.append((body, f"{recs[0].seq}-{recs[-1].seq}"))
    ready.put(index)
    go.wait()
    headers = {**AUTH, "Content-Type": "application/x-msgpack"}
    with httpx.Client(base_url=url, timeout=300) as client:
        t_start = time.perf_counter()
        for body, seqs in bodies:
            encoding = {} if seqs == "1-1" else {"Content-Encoding": "gzip"}
            reply = client.post(path, content=body,
                                headers={**headers, **encoding, "X-Tracklet-Seq-Range": seqs})
            reply.raise_for_status()
        out.put((index, t_start, time.perf_counter(), seq))


def start_server(db_url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    from servers import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    log = (tmp / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "--dir", str(tmp / "data"), "server",
         "--port", str(port), "--db", db_url, "--api-key", KEY, "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError((tmp / f"server-{port}.log").read_text())
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the server did not start within 60 s")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid: int) -> float:
    try:
        p = psutil.Process(pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its children (the database's own
    processes, e.g. PostgreSQL's, are not counted)."""
    try:
        p = psutil.Process(pid)
        times = [q.cpu_times() for q in [p, *p.children(recursive=True)]]
    except psutil.NoSuchProcess:
        return 0.0
    return sum(t.user + t.system for t in times)


def bench_ingest(db_url: str, tmp: Path, clients: int, steps: int, metrics: int,
                 batch: int) -> dict[str, Any]:
    proc, url = start_server(db_url, tmp)
    try:
        rss_idle = rss_mb(proc.pid)
        ctx = multiprocessing.get_context("spawn")
        ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        workers = [ctx.Process(target=_client, args=(url, i, steps, metrics, batch, ready,
                                                     go, out)) for i in range(clients)]
        for w in workers:
            w.start()
        for _ in workers:
            ready.get(timeout=600)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss_mb(proc.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu0 = cpu_seconds(proc.pid)
        t0 = time.perf_counter()
        go.set()
        results = [out.get(timeout=1800) for _ in workers]
        wall = time.perf_counter() - t0
        server_cpu = cpu_seconds(proc.pid) - cpu0
        done.set()
        sampler.join()
        for w in workers:
            w.join()
        points = clients * steps * metrics
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
            reply = client.get("/api/v1/series", params={
                "runs": [f"bench/ingest/ingest{i:04d}" for i in range(clients)],
                "keys": "metric_0", "buckets": 10})
            stored = sum(e["count"] for e in reply.json()["series"]) * metrics
        return {"db": db_url.split(":")[0], "clients": clients, "points": points,
                "points_stored": stored, "wall_s": round(wall, 3),
                "points_per_s": round(points / wall),
                # what one core of the server does, however loaded the machine is
                "points_per_server_cpu_s": round(points / server_cpu) if server_cpu else None,
                "slowest_client_s": round(max(e - s for _, s, e, _ in results), 3),
                "rss_idle_mb": round(rss_idle, 1),
                "rss_max_mb": round(max(samples, default=0.0), 1),
                "rss_end_mb": round(rss_mb(proc.pid), 1)}
    finally:
        stop_server(proc)


# -- (b), (c) reads through the app in this process -------------------------------------------


def fill_store(db_url: str, runs_list: int) -> None:
    from tracklet.store.sql.store import SqlMetadataStore

    store = SqlMetadataStore(db_url)
    t0 = 1_700_000_000.0

    def segment(run_id: str, project: str) -> SegmentHeader:
        return SegmentHeader(segment=f"s-{run_id}", run_id=run_id, project=project,
                             entity="bench")

    big = segment("big00001", "series")
    store.append_records(big, [r.RunStart(1, t0, "big00001", "series", "bench", "big")])
    seq = 1
    for start in range(0, 1_000_000, 50_000):  # HttpShipper's batch size
        recs = []
        for step in range(start, start + 50_000):
            seq += 1
            recs.append(r.History(seq, t0 + step, step, {"loss": 1.0 / (1 + step)}))
        store.append_records(big, recs)
    for i in range(100):
        run_id = f"small{i:03d}"
        h = segment(run_id, "series")
        recs = [r.RunStart(1, t0, run_id, "series", "bench", run_id)]
        recs += [r.History(s + 2, t0 + s, s, {"loss": (i + 1) / (1 + s)})
                 for s in range(10_000)]
        store.append_records(h, recs)
    for i in range(runs_list):
        run_id = f"list{i:06d}"
        h = segment(run_id, "runs")
        store.append_records(h, [
            r.RunStart(1, t0 + i, run_id, "runs", "bench", run_id),
            r.ConfigUpdate(2, t0 + i, {"lr": 10 ** -(1 + i % 5), "opt": ["adam", "sgd"][i % 2],
                                       "layers": i % 13}, []),
            r.History(3, t0 + i, 0, {"loss": ((i * 7919) % 10_007) / 10_007, "acc": 0.5}),
            r.RunFinish(4, t0 + i, "finished", 0)])
    store.close()


async def p50(client: httpx.AsyncClient, url: str, params: dict[str, Any],
              headers: dict[str, str], repeats: int) -> dict[str, float]:
    times = []
    size = 0
    for _ in range(repeats + 1):
        t = time.perf_counter()
        reply = await client.get(url, params=params, headers=headers)
        times.append(time.perf_counter() - t)
        assert reply.status_code == 200, reply.text
        size = len(reply.content)
    times = times[1:]  # the first warms caches
    return {"p50_ms": round(statistics.median(times) * 1e3, 1),
            "min_ms": round(min(times) * 1e3, 1), "bytes": size}


async def bench_reads(db_url: str, repeats: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "tests" / "server"))
    from tracklet.server import ServerSettings, create_app

    app = create_app(ServerSettings(db_url=db_url, api_keys=[KEY], heartbeat_timeout=0))
    out: dict[str, Any] = {}
    shapes = {
        "series_1x1m": {"runs": "bench/series/big00001", "keys": "loss", "buckets": 1000},
        "series_100x10k": {"runs": [f"bench/series/small{i:03d}" for i in range(100)],
                           "keys": "loss", "buckets": 1000},
    }
    formats = {"json+gzip": {"Accept-Encoding": "gzip"},
               "json": {"Accept-Encoding": "identity"},
               "msgpack": {"Accept-Encoding": "identity", "Accept": "application/x-msgpack"}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     timeout=300) as client:
            for shape, params in shapes.items():
                for fmt, headers in formats.items():
                    out[f"{shape}[{fmt}]"] = await p50(client, "/api/v1/series", params,
                                                       {**AUTH, **headers}, repeats)
            params = {"filters": json.dumps({"config.opt": "adam"}),
                      "order": "-summary.loss", "limit": 50}
            out["runs_list[json+gzip]"] = await p50(client, "/api/v1/runs/bench/runs", params,
                                                    {**AUTH, "Accept-Encoding": "gzip"},
                                                    repeats)
            first = (await client.get("/api/v1/runs/bench/runs", params=params,
                                      headers=AUTH)).json()
            losses = [run["summary"]["loss"] for run in first["items"]]
            assert len(losses) == 50 and losses == sorted(losses, reverse=True)
            assert all(run["config"]["opt"] == "adam" for run in first["items"])
    return out


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5_000, help="steps per client")
    parser.add_argument("--metrics", type=int, default=100, help="metrics per step")
    parser.add_argument("--batch", type=int, default=1_000, help="records per POST")
    parser.add_argument("--runs", type=int, default=10_000, help="runs for the runs list")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--skip", default="", help="comma list of: sqlite,postgresql,reads")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(f"warning: load average {load:.1f}: figures will be slower than on a quiet "
              "machine", file=sys.stderr)
    result: dict[str, Any] = {"meta": {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                                       "load_avg_start": round(load, 2),
                                       "args": vars(args)},
                              "ingest": [], "reads": {}}
    with tempfile.TemporaryDirectory(prefix="tracklet-bench-server-") as tmp_name:
        tmp = Path(tmp_name)
        if "sqlite" not in skip:
            result["ingest"].append(bench_ingest(f"sqlite:///{tmp / 'ingest.db'}", tmp,
                                                 args.clients, args.steps, args.metrics,
                                                 args.batch))
        if "postgresql" not in skip:
            result["ingest"].append(ingest_postgres(tmp, args))
        if "reads" not in skip:
            db = f"sqlite:///{tmp / 'reads.db'}"
            t = time.perf_counter()
            fill_store(db, args.runs)
            result["meta"]["fill_s"] = round(time.perf_counter() - t, 1)
            result["reads"] = asyncio.run(bench_reads(db, args.repeats))
    result["meta"]["load_avg_end"] = round(os.getloadavg()[0], 2)
    report(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_server.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'bench_server.json'}")


def ingest_postgres(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    from servers import create_database, postgres_cluster

    try:
        with postgres_cluster() as base:
            url = create_database(base, "bench")
            return bench_ingest(url, tmp, args.clients, args.steps, args.metrics, args.batch)
    except BaseException as exc:  # pytest.skip's exception when PostgreSQL is missing
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"db": "postgresql", "error": f"{type(exc).__name__}: {exc}"}


def report(result: dict[str, Any]) -> None:
    print(f"\n{'ingest':<34} {'points/s':>12} {'wall s':>8} {'RSS idle/max/end MB':>22}")
    for row in result["ingest"]:
        if "error" in row:
            print(f"  {row['db']:<32} {row['error']}")
            continue
        ok = "met" if row["points_per_s"] >= TARGETS["ingest_pts_s"] else "MISSED"
        lost = "" if row["points_stored"] == row["points"] else " LOST POINTS"
        print(f"  {row['db']} ({row['clients']} clients, {row['points']:,} pts) "
              f"{row['points_per_s']:>12,} {row['wall_s']:>8} "
              f"{row['rss_idle_mb']:>7}/{row['rss_max_mb']}/{row['rss_end_mb']}  "
              f"{ok} (>= {TARGETS['ingest_pts_s']:,}){lost}")
        if row.get("points_per_server_cpu_s"):
            print(f"    {row['points_per_server_cpu_s']:,} points per CPU second of the server "
                  "process (independent of the machine's load)")
    if result["reads"]:
        print(f"\n{'read (in-process HTTP)':<40} {'p50 ms':>8} {'min ms':>8} {'bytes':>10}")
        for name, row in result["reads"].items():
            target = TARGETS.get(name.split("[")[0] + "_ms")
            mark = "" if target is None else (
                f"  {'met' if row['p50_ms'] <= target else 'MISSED'} (<= {target})")
            print(f"  {name:<38} {row['p50_ms']:>8} {row['min_ms']:>8} "
                  f"{row['bytes']:>10,}{mark}")


if __name__ == "__main__":
    main()
