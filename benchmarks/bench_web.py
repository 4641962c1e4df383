"""The web dashboard's figures, in headless Chromium (Debian's, driven by Playwright)
against a real ``tracklet server`` process on 127.0.0.1.

Reported figures, not a timed test:

(a) first chart drawn after navigation to a project of 1,000 runs x 20 metrics x 1,000
    steps (``--scale`` shrinks the runs for a quick look; the figure says which scale ran):
    ``window.tracklet.firstChartAt``, set by the first uPlot ``draw`` hook that has data,
    on the page's own clock (0 = navigation start). Target <= 1,500 ms.
(b) one panel overlaying 100 runs x 10,000 points (1,000,000 points): the time uPlot spends
    in one draw (``drawClear`` -> ``draw`` hooks), first draw and the median of 10 redraws.
    Target <= 300 ms.
(c) the runs table over 10,000 runs: frame times while it scrolls (30, 60 and 240 px per
    animation frame, 3 s each) beside the same page idle; p50 / p95 / max and frames over
    1.5 x 16.7 ms; the rows in the DOM stay a few dozen (virtualised).
(d) the bundle: the built JS + CSS gzipped (level 9). Target <= 300 kB.

The store is filled through ``SqlMetadataStore.append_records`` (the server's own ingest
path, without HTTP), then the server opens it. Writes ``benchmarks/results/bench_web.json``.

    python benchmarks/bench_web.py [--scale 1.0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO / "tests"))  # servers.py: free_port, wait_for_health

from servers import free_port, wait_for_health  # noqa: E402
from tracklet.core import records as r  # noqa: E402
from tracklet.core.segment import SegmentHeader  # noqa: E402
from tracklet.server.static import web_dist  # noqa: E402

KEY = "bench-web-key"
CHROMIUM = "/usr/bin/chromium"
SCROLL_PX_PER_FRAME = (30, 60, 240)  # 1,800 / 3,600 / 14,400 px/s at 60 Hz: brisk to a fling
TARGETS = {"first_chart_ms": 1500, "panel_1m_draw_ms": 300, "bundle_gzip_kb": 300}
T0 = 1_700_000_000.0


# -- seeding ---------------------------------------------------------------------------------

def _header(run_id: str, project: str) -> SegmentHeader:
    return SegmentHeader(segment=f"s-{run_id}", run_id=run_id, project=project, entity="bench")


def seed(db_url: str, runs: int, metrics: int, steps: int, table_runs: int) -> dict[str, float]:
    from tracklet.store.sql.store import SqlMetadataStore

    store = SqlMetadataStore(db_url)
    took: dict[str, float] = {}
    began = time.perf_counter()
    keys = [f"{['train', 'eval', 'charts'][k % 3]}/metric{k:02d}" for k in range(metrics)]
    for i in range(runs):  # (a) the big project
        run_id = f"big{i:05d}"
        recs: list[Any] = [r.RunStart(1, T0 + i, run_id, "big", "bench", run_id),
                           r.ConfigUpdate(2, T0 + i, {"lr": 10 ** -(1 + i % 4), "seed": i}, [])]
        seq = 2
        for s in range(steps):
            seq += 1
            recs.append(r.History(seq, T0 + i + s, s,
                                  {k: (j + 1) / (1 + s) + i * 1e-4 for j, k in enumerate(keys)}))
        seq += 1
        recs.append(r.RunFinish(seq, T0 + i + steps, "finished", 0))
        store.append_records(_header(run_id, "big"), recs)
    took["seed_big_s"] = time.perf_counter() - began
    began = time.perf_counter()
    for i in range(100):  # (b) 100 runs x 10,000 points
        run_id = f"wide{i:03d}"
        recs = [r.RunStart(1, T0, run_id, "wide", "bench", run_id)]
        recs += [r.History(s + 2, T0 + s, s, {"loss": (i + 1) / (1 + s) + (s % 7) * 1e-3})
                 for s in range(10_000)]
        store.append_records(_header(run_id, "wide"), recs)
    took["seed_wide_s"] = time.perf_counter() - began
    began = time.perf_counter()
    for i in range(table_runs):  # (c) the 10,000-run table
        run_id = f"row{i:06d}"
        store.append_records(_header(run_id, "table"), [
            r.RunStart(1, T0 + i, run_id, "table", "bench", f"run-{i}", tags=["bench"]),
            r.ConfigUpdate(2, T0 + i, {"lr": 10 ** -(1 + i % 5), "opt": ["adam", "sgd"][i % 2]},
                           []),
            r.History(3, T0 + i, 0, {"loss": ((i * 7919) % 10_007) / 10_007}),
            r.RunFinish(4, T0 + i, "finished", 0)])
    took["seed_table_s"] = time.perf_counter() - began
    store.close()
    return took


# -- the server and the browser --------------------------------------------------------------

def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLET_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklet.cli.main", "server", "--port", str(port), "--db",
         f"sqlite:///{db}", "--public-reads", "--api-key", KEY, "--heartbeat-timeout", "0",
         "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, 60, alive=lambda: proc.poll() is None)
    return proc, url


def first_chart(browser: Any, url: str, repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats + 1):  # the first is cold (server caches, SQLite pages): apart
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.goto(f"{url}/bench/big")
        page.wait_for_function("() => window.tracklet && window.tracklet.firstChartAt !== null",
                               timeout=60_000)
        times.append(page.evaluate("window.tracklet.firstChartAt"))
        page.close()
    return {"first_chart_ms": statistics.median(times[1:]), "cold_ms": times[0],
            "runs": times[1:]}


def panel_draw(browser: Any, url: str) -> dict[str, Any]:
    ids = ",".join(f"wide{i:03d}" for i in range(100))
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    began = time.perf_counter()
    page.goto(f"{url}/bench/wide?vis={ids}&res=10000&panels=loss~3")
    page.wait_for_function(
        "() => window.tracklet.draws.some(d => d.title === 'loss' && d.points >= 1000000)",
        timeout=120_000)
    loaded = time.perf_counter() - began
    first = page.evaluate(
        "window.tracklet.draws.filter(d => d.title === 'loss' && d.points >= 1000000)[0].ms")
    redraws = page.evaluate("""async () => {
        const u = window.tracklet.charts['loss'];
        const before = window.tracklet.draws.length;
        for (let i = 0; i < 10; i++) {
            u.redraw(true, false);  // rebuild the paths too
            await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
        }
        return window.tracklet.draws.slice(before).filter(d => d.title === 'loss')
            .map(d => d.ms); }""")
    points = page.evaluate("window.tracklet.charts['loss'].data.slice(1)"
                           ".reduce((n, s) => n + s.filter(v => v !== null).length, 0)")
    page.close()
    return {"panel_1m_draw_ms": first, "redraw_median_ms": statistics.median(redraws),
            "points_drawn": points, "fetch_and_draw_s": loaded}


def table_scroll(browser: Any, url: str, table_runs: int) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    began = time.perf_counter()
    page.goto(f"{url}/bench/table")
    page.wait_for_function(f"() => /^{table_runs} runs/.test(document.querySelector("
                           "'[data-testid=run-count]').textContent)", timeout=120_000)
    loaded = time.perf_counter() - began
    idle = page.evaluate("""() => new Promise(done => {
        const deltas = []; let last = performance.now(); const end = last + 1500;
        function step(now) {
            deltas.push(now - last); last = now;
            if (now < end) requestAnimationFrame(step); else done(deltas);
        }
        requestAnimationFrame(step);
    })""")[1:]
    speeds = {}
    for px in SCROLL_PX_PER_FRAME:
        frames = page.evaluate("""(px) => new Promise(done => {
            const body = document.querySelector('.runs-table .tbody');
            const deltas = []; let last = performance.now(); const end = last + 3000;
            let rows = 0;
            function step(now) {
                deltas.push(now - last); last = now;
                body.scrollTop += px;
                rows = Math.max(rows, body.querySelectorAll('.tr').length);
                if (now < end) requestAnimationFrame(step);
                else done({deltas, rows, top: body.scrollTop});
            }
            requestAnimationFrame(step);
        })""", px)
        d = sorted(frames["deltas"][1:])
        speeds[px] = {"frames": len(d), "frame_p50_ms": d[len(d) // 2],
                      "frame_p95_ms": d[int(len(d) * 0.95)], "frame_max_ms": d[-1],
                      "slow_frames": sum(1 for x in d if x > 25),
                      "rows_in_dom_max": frames["rows"], "scrolled_px": frames["top"]}
    page.close()
    return {"table_load_s": loaded, "idle_frame_p50_ms": statistics.median(idle),
            "idle_frames": len(idle), "speeds": speeds}


def bundle_size() -> dict[str, Any]:
    assets = sorted((web_dist() / "assets").glob("*"))
    raw = sum(p.stat().st_size for p in assets)
    zipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in assets)
    return {"bundle_kb": raw / 1024, "bundle_gzip_kb": zipped / 1024,
            "files": [p.name for p in assets]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the 1,000 runs of the big project to seed")
    parser.add_argument("--table-runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="reuse / keep the seeded database here")
    args = parser.parse_args()
    if not (web_dist() / "index.html").is_file():
        sys.exit(f"no web bundle in {web_dist()}: run `make web` first")
    from playwright.sync_api import sync_playwright

    runs = max(1, round(1000 * args.scale))
    result: dict[str, Any] = {"meta": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()[0],
                                       "big_runs": runs, "metrics": 20, "steps": 1000,
                                       "scale": args.scale}}
    with tempfile.TemporaryDirectory(prefix="tracklet-bench-web-") as tmp_name:
        folder = args.keep or Path(tmp_name)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "web.db"
        if not db.exists():
            print(f"seeding {runs} runs x 20 metrics x 1,000 steps, 100 x 10,000, "
                  f"{args.table_runs} table runs ...", flush=True)
            result["seed"] = seed(f"sqlite:///{db}", runs, 20, 1000, args.table_runs)
            print("  " + ", ".join(f"{k} {v:.1f}" for k, v in result["seed"].items()))
        proc, url = start_server(db)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                result["first_chart"] = first_chart(browser, url, args.repeats)
                result["panel"] = panel_draw(browser, url)
                result["table"] = table_scroll(browser, url, args.table_runs)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
    result["bundle"] = bundle_size()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_web.json").write_text(json.dumps(result, indent=2))
    report(result)


def report(res: dict[str, Any]) -> None:
    m = res["meta"]

    def verdict(value: float, target: float) -> str:
        return "met" if value <= target else "MISSED"
    fc = res["first_chart"]["first_chart_ms"]
    scale = "" if m["scale"] == 1 else f" (SCALED: {m['big_runs']} runs, scale {m['scale']})"
    print(f"\n(a) first chart, {m['big_runs']} runs x 20 metrics x 1,000 steps{scale}: "
          f"{fc:.0f} ms after navigation (median of {len(res['first_chart']['runs'])}: "
          f"{', '.join(f'{x:.0f}' for x in res['first_chart']['runs'])}; cold first load "
          f"{res['first_chart']['cold_ms']:.0f} ms) -> "
          f"{verdict(fc, TARGETS['first_chart_ms'])} (<= {TARGETS['first_chart_ms']} ms)")
    p = res["panel"]
    print(f"(b) one panel, 100 runs x 10,000 points ({p['points_drawn']:,} drawn): first draw "
          f"{p['panel_1m_draw_ms']:.0f} ms, redraw median {p['redraw_median_ms']:.0f} ms -> "
          f"{verdict(p['panel_1m_draw_ms'], TARGETS['panel_1m_draw_ms'])} (<= 300 ms); "
          f"fetch + join + draw {p['fetch_and_draw_s']:.1f} s")
    t = res["table"]
    print(f"(c) runs table of 10,000 runs (loaded in {t['table_load_s']:.1f} s); baseline: the "
          f"same page idle, p50 {t['idle_frame_p50_ms']:.1f} ms per frame")
    for px, f in t["speeds"].items():
        print(f"    scrolling {px} px/frame: p50 {f['frame_p50_ms']:.1f} ms, p95 "
              f"{f['frame_p95_ms']:.1f} ms, max {f['frame_max_ms']:.1f} ms, "
              f"{f['slow_frames']}/{f['frames']} frames > 25 ms; at most "
              f"{f['rows_in_dom_max']} rows in the DOM")
    b = res["bundle"]
    print(f"(d) bundle: {b['bundle_kb']:.0f} kB, {b['bundle_gzip_kb']:.1f} kB gzipped -> "
          f"{verdict(b['bundle_gzip_kb'], TARGETS['bundle_gzip_kb'])} (<= 300 kB)")


if __name__ == "__main__":
    main()
