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


def seed(db_url: str, runs: int, metrics: int, steps: int, table_runs: int,
         parts: set[str]) -> dict[str, float]:
    from tracklet.store.sql.store import SqlMetadataStore

    store = SqlMetadataStore(db_url)
    took: dict[str, float] = {}
    began = time.perf_counter()
    keys = [f"{['train', 'eval', 'charts'][k % 3]}/metric{k:02d}" for k in range(metrics)]
    for i in range(runs if "first-chart" in parts else 0):  # (a) the big project
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
    for i in range(100 if "panel" in parts else 0):  # (b) 100 runs x 10,000 points
        run_id = f"wide{i:03d}"
        recs = [r.RunStart(1, T0, run_id, "wide", "bench", run_id)]
        recs += [r.History(s + 2, T0 + s, s, {"loss": (i + 1) / (1 + s) + (s % 7) * 1e-3})
                 for s in range(10_000)]
        store.append_records(_header(run_id, "wide"), recs)
    took["seed_wide_s"] = time.perf_counter() - began
    began = time.perf_counter()
    for i in range(table_runs if "table" in parts else 0):  # (c) the 10,000-run table
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
    env = {k: v for k, v in os.environ.items()  # the bundle's folder may be elsewhere
           if not k.startswith("TRACKLET_") or k == "TRACKLET_WEB_DIST"}
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


VSYNC_MS = 1000 / 60
# one round: scroll `px` per animation frame for `ms`, recording each frame's delta (the time
# between two requestAnimationFrame callbacks: 16.7 ms when no frame was dropped)
SCROLL_JS = """([selector, rowSelector, px, ms]) => new Promise(done => {
    const body = document.querySelector(selector);
    const deltas = []; let last = performance.now(); const end = last + ms; let rows = 0;
    function step(now) {
        deltas.push(now - last); last = now;
        if (px) body.scrollTop += px;
        if (deltas.length % 30 === 1)  // now and then: counting 10,000 rows costs time
            rows = Math.max(rows, body.querySelectorAll(rowSelector).length);
        if (now < end) requestAnimationFrame(step);
        else done({deltas: deltas.slice(1), rows, top: body.scrollTop});
    }
    requestAnimationFrame(step);
})"""
# back to the top, then a second of frames to settle before the next round
RESET_JS = """(selector) => new Promise(done => {
    document.querySelector(selector).scrollTop = 0;
    const end = performance.now() + 1000;
    const step = (now) => now < end ? requestAnimationFrame(step) : done(null);
    requestAnimationFrame(step);
})"""


def frame_stats(deltas: list[float], px: int) -> dict[str, Any]:
    """Frame times of one round: percentiles, and the frames that missed vsyncs (a delta of
    33.3 ms is one dropped frame, 50 ms two, ...)."""
    d = sorted(deltas)
    return {"frames": len(d), "px_per_frame": px, "frame_p50_ms": d[len(d) // 2],
            "frame_p95_ms": d[min(len(d) - 1, int(len(d) * 0.95))], "frame_max_ms": d[-1],
            "over_16ms": sum(1 for x in d if x > 1.5 * VSYNC_MS),
            "over_33ms": sum(1 for x in d if x > 2.5 * VSYNC_MS),
            "dropped": sum(max(0, round(x / VSYNC_MS) - 1) for x in d)}


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the rounds (rows in the DOM: the maximum)."""
    out: dict[str, Any] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]
                           if k not in ("rows_in_dom_max", "scrolled_px")}
    out["rows_in_dom_max"] = max(r["rows_in_dom_max"] for r in rounds)
    out["dropped_each_round"] = [r["dropped"] for r in rounds]
    return out


def scroll_rounds(page: Any, selector: str, row_selector: str, rounds: int,
                  speeds: tuple[int, ...], trace: Path | None = None) -> dict[str, Any]:
    got: dict[str, Any] = {}
    for px in speeds:
        rounds_got = []
        for i in range(rounds):
            page.evaluate(RESET_JS, selector)
            tracing = trace is not None and px == max(speeds) and i == 0
            if tracing:
                page.context.browser.start_tracing(page=page, path=str(trace),
                                                   categories=TRACE_CATEGORIES)
            frames = page.evaluate(SCROLL_JS, [selector, row_selector, px, 3000])
            if tracing:
                page.context.browser.stop_tracing()
            rounds_got.append({**frame_stats(frames["deltas"], px),
                               "rows_in_dom_max": frames["rows"], "scrolled_px": frames["top"]})
        got[str(px)] = median_round(rounds_got)
    return got


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel",
                    "cc", "viz", "benchmark"]


def table_scroll(browser: Any, url: str, table_runs: int, rounds: int,
                 speeds: tuple[int, ...], trace: Path | None, plain: bool) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    began = time.perf_counter()
    page.goto(f"{url}/bench/table")
    page.wait_for_function(f"() => /^{table_runs} runs/.test(document.querySelector("
                           "'[data-testid=run-count]').textContent)", timeout=120_000)
    loaded = time.perf_counter() - began
    idle = page.evaluate(SCROLL_JS, [".runs-table .tbody", ".tr", 0, 1500])["deltas"]
    box = page.evaluate("(() => { const r = document.querySelector('.runs-table .tbody')"
                        ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
    got = scroll_rounds(page, ".runs-table .tbody", ".tr", rounds, speeds, trace)
    page.close()
    return {"table_load_s": loaded, "idle": frame_stats(idle, 0), "speeds": got,
            "plain": plain_table(browser, table_runs, box, rounds, speeds) if plain else None}


def plain_table(browser: Any, n: int, box: list[float], rounds: int,
                speeds: tuple[int, ...]) -> dict[str, Any]:
    """The baseline: the same number of rows as a plain, non-virtualised HTML table (every
    row in the DOM, no script) in a scroller of the runs table's size and place. Scrolling
    it changes no DOM at all: what is left is the browser's own scroll, paint and raster."""
    cells = "".join(
        f"<tr><td>\u2610</td><td>\u25cb</td><td>\u2606</td><td>run-{i}</td><td>finished</td>"
        f"<td>2023-11-14 22:13</td><td>0s</td><td><span class=tag>bench</span></td><td>\u2014</td>"
        "</tr>" for i in range(n))
    x, y, w, h = box
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.set_content(
        "<!doctype html><style>body{margin:0;font:14px/1.4 system-ui,sans-serif}"
        f"#s{{position:absolute;left:{x}px;top:{y}px;width:{w}px;height:{h}px;overflow:auto;background:#fff}}"
        "td{height:29px;padding:0 4px;border-bottom:1px solid #d9dce1;white-space:nowrap}"
        "table{border-collapse:collapse}.tag{border:1px solid #d9dce1;border-radius:10px;"
        f"padding:0 6px}}</style><div id=s><table>{cells}</table></div>")
    got = scroll_rounds(page, "#s", "tr", rounds, speeds)
    page.close()
    return {"speeds": got}


def bundle_size() -> dict[str, Any]:
    assets = sorted((web_dist() / "assets").glob("*"))
    raw = sum(p.stat().st_size for p in assets)
    zipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in assets)
    return {"bundle_kb": raw / 1024, "bundle_gzip_kb": zipped / 1024,
            "files": [p.name for p in assets]}


PARTS = ("first-chart", "panel", "table", "bundle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the 1,000 runs of the big project to seed")
    parser.add_argument("--table-runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of 3 s per scroll speed; the medians are reported")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only this part (repeatable); only its data is seeded")
    parser.add_argument("--trace", type=Path,
                        help="write a Chromium trace of the first 240 px/frame round here")
    parser.add_argument("--chromium-arg", action="append", default=[],
                        help="an extra Chromium flag (to understand what is measured)")
    parser.add_argument("--speeds", type=lambda v: tuple(int(x) for x in v.split(",")),
                        default=SCROLL_PX_PER_FRAME, help="px per frame, e.g. 30,240")
    parser.add_argument("--no-plain", action="store_true",
                        help="skip the plain-table baseline (a quicker look)")
    parser.add_argument("--keep", type=Path, help="reuse / keep the seeded database here")
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    if not (web_dist() / "index.html").is_file():
        sys.exit(f"no web bundle in {web_dist()}: run `make web` first")
    from playwright.sync_api import sync_playwright

    runs = max(1, round(1000 * args.scale))
    result: dict[str, Any] = {"meta": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()[0],
                                       "big_runs": runs, "metrics": 20, "steps": 1000,
                                       "scale": args.scale, "parts": sorted(parts),
                                       "chromium_args": args.chromium_arg,
                                       "bundle": str(web_dist())}}
    with tempfile.TemporaryDirectory(prefix="tracklet-bench-web-") as tmp_name:
        folder = args.keep or Path(tmp_name)
        folder.mkdir(parents=True, exist_ok=True)
        db, marker = folder / "web.db", folder / "seeded.json"  # the parts a kept db holds
        seeded = set(json.loads(marker.read_text())) if marker.exists() else set()
        missing = (parts & {"first-chart", "panel", "table"}) - seeded
        if missing:
            print(f"seeding {', '.join(sorted(missing))}: "
                  f"{runs} runs x 20 metrics x 1,000 steps, 100 x 10,000, "
                  f"{args.table_runs} table runs ...", flush=True)
            result["seed"] = seed(f"sqlite:///{db}", runs, 20, 1000, args.table_runs, missing)
            marker.write_text(json.dumps(sorted(seeded | missing)))
            print("  " + ", ".join(f"{k} {v:.1f}" for k, v in result["seed"].items()))
        proc, url = start_server(db)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    *args.chromium_arg])
                if "first-chart" in parts:
                    result["first_chart"] = first_chart(browser, url, args.repeats)
                if "panel" in parts:
                    result["panel"] = panel_draw(browser, url)
                if "table" in parts:
                    result["table"] = table_scroll(browser, url, args.table_runs, args.rounds,
                                                   args.speeds, args.trace, not args.no_plain)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
    result["meta"]["load_avg_after"] = os.getloadavg()[0]
    if "bundle" in parts:
        result["bundle"] = bundle_size()
    RESULTS.mkdir(exist_ok=True)
    name = "bench_web.json" if parts == set(PARTS) else f"bench_web_{'_'.join(sorted(parts))}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    report(result)
    if args.trace:
        print(trace_summary(args.trace))


def report(res: dict[str, Any]) -> None:
    m = res["meta"]
    print(f"\nload average {m['load_avg']:.2f} before, {m.get('load_avg_after', 0):.2f} after "
          f"({m['cpus']} CPUs)")

    def verdict(value: float, target: float) -> str:
        return "met" if value <= target else "MISSED"
    if "first_chart" in res:
        fc = res["first_chart"]["first_chart_ms"]
        scale = "" if m["scale"] == 1 else f" (SCALED: {m['big_runs']} runs, scale {m['scale']})"
        print(f"(a) first chart, {m['big_runs']} runs x 20 metrics x 1,000 steps{scale}: "
              f"{fc:.0f} ms after navigation (median of {len(res['first_chart']['runs'])}: "
              f"{', '.join(f'{x:.0f}' for x in res['first_chart']['runs'])}; cold first load "
              f"{res['first_chart']['cold_ms']:.0f} ms) -> "
              f"{verdict(fc, TARGETS['first_chart_ms'])} (<= {TARGETS['first_chart_ms']} ms)")
    if "panel" in res:
        p = res["panel"]
        print(f"(b) one panel, 100 runs x 10,000 points ({p['points_drawn']:,} drawn): first "
              f"draw {p['panel_1m_draw_ms']:.0f} ms, redraw median {p['redraw_median_ms']:.0f} "
              f"ms -> {verdict(p['panel_1m_draw_ms'], TARGETS['panel_1m_draw_ms'])} "
              f"(<= 300 ms); fetch + join + draw {p['fetch_and_draw_s']:.1f} s")
    if "table" in res:
        t = res["table"]
        i = t["idle"]
        print(f"(c) runs table of 10,000 runs (loaded in {t['table_load_s']:.1f} s); medians "
              f"of the rounds; idle page: p50 {i['frame_p50_ms']:.1f} ms, {i['dropped']} of "
              f"{i['frames']} frames dropped")
        print("    px/frame  page               frames  p50   p95   max    >16.7ms >33.3ms "
              "dropped (each round)  rows in DOM")
        for px, f in t["speeds"].items():
            b = t["plain"]["speeds"][px] if t["plain"] else None
            for label, x in (("runs table", f), ("plain <table>", b)):
                if x is None:
                    continue
                print(f"    {px:>8}  {label:<17} {x['frames']:>6.0f}  {x['frame_p50_ms']:4.1f}  "
                      f"{x['frame_p95_ms']:4.1f}  {x['frame_max_ms']:5.1f}  "
                      f"{x['over_16ms']:>6.0f}  {x['over_33ms']:>6.0f}  {x['dropped']:>6.0f} "
                      f"{x['dropped_each_round']!s:<14} {x['rows_in_dom_max']:>6}")
            if b is not None:
                ratio = (f"{f['dropped'] / b['dropped']:.2f}x the plain table's"
                         if b["dropped"] else "plain table: none")
                print(f"              dropped frames: {ratio}")
    if "bundle" in res:
        b = res["bundle"]
        print(f"(d) bundle: {b['bundle_kb']:.0f} kB, {b['bundle_gzip_kb']:.1f} kB gzipped -> "
              f"{verdict(b['bundle_gzip_kb'], TARGETS['bundle_gzip_kb'])} (<= 300 kB)")


TRACE_KINDS = {
    "js": ("FunctionCall", "EvaluateScript", "FireAnimationFrame", "EventDispatch",
           "TimerFire", "v8.callFunction", "V8.Execute", "RunMicrotasks", "v8.run"),
    "style": ("UpdateLayoutTree",),
    "layout": ("Layout",),
    "paint": ("PrePaint", "Paint", "Layerize", "PaintImage", "UpdateLayer"),
    "commit": ("Commit",),
    "gc": ("MinorGC", "MajorGC", "V8.GC_SCAVENGER", "BlinkGC.AtomicPhase",
           "V8.GCScavenger", "V8.GCFinalizeMC"),
}


def trace_summary(path: Path) -> str:
    """Where the traced round's CPU went: the renderer's main thread split by kind of work
    (each event's own CPU time, children apart, goes to its nearest kind-named ancestor;
    the rest is "other"), and the raster workers and the compositor beside it. Thread CPU
    time (``tdur``), not wall time, so another process's load on the machine counts less."""
    data = json.loads(path.read_text())
    events = data.get("traceEvents", data) if isinstance(data, dict) else data
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    kind_of = {name: kind for kind, names_ in TRACE_KINDS.items() for name in names_}
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in events:
        if e.get("ph") == "X" and "tdur" in e:
            by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    main: dict[str, float] = {}
    other: dict[str, float] = {}
    per_frame: list[float] = [0.0]
    frames = 0
    span = [float("inf"), 0.0]
    for thread, evs in by_thread.items():
        tname = names.get(thread, "?")
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        if tname != "CrRendererMain":
            top_end = -1.0
            for e in evs:  # the top-level tasks' CPU time
                if e["ts"] >= top_end:
                    other[tname] = other.get(tname, 0.0) + e["tdur"] / 1000
                    top_end = e["ts"] + e["dur"]
            continue
        frames += sum(1 for e in evs if e["name"] == "ProxyMain::BeginMainFrame")
        per_frame = sorted(e["tdur"] / 1000 for e in evs
                           if e["name"] == "ProxyMain::BeginMainFrame")
        stack: list[tuple[dict[str, Any], str | None]] = []
        own: list[float] = []
        for e in evs:
            while stack and e["ts"] >= stack[-1][0]["ts"] + stack[-1][0]["dur"]:
                _, kind = stack.pop()
                main[kind or "other"] = main.get(kind or "other", 0.0) + own.pop() / 1000
            if stack:
                own[-1] -= e["tdur"]
            else:
                span = [min(span[0], e["ts"]), max(span[1], e["ts"] + e["dur"])]
            kind = kind_of.get(e["name"]) or (stack[-1][1] if stack else None)
            stack.append((e, kind))
            own.append(e["tdur"])
        while stack:
            _, kind = stack.pop()
            main[kind or "other"] = main.get(kind or "other", 0.0) + own.pop() / 1000
    seconds = (span[1] - span[0]) / 1e6
    lines = [f"trace {path}: {seconds:.1f} s, {frames} main-thread frames; CPU ms in all "
             "and per main-thread frame"]
    lines.append(f"    main thread, all {sum(main.values()):8.1f} ms "
                 f"{sum(main.values()) / max(1, frames):6.2f} ms/frame (frames: median "
                 f"{per_frame[len(per_frame) // 2]:.1f}, p90 "
                 f"{per_frame[int(len(per_frame) * 0.9)]:.1f} ms)")
    for k, v in sorted(main.items(), key=lambda kv: -kv[1]):
        lines.append(f"      {k:<17} {v:8.1f} ms {v / max(1, frames):6.2f} ms/frame")
    for k, v in sorted(other.items(), key=lambda kv: -kv[1])[:4]:
        lines.append(f"    {k:<19} {v:8.1f} ms {v / max(1, frames):6.2f} ms/frame")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
