// One uPlot chart: runs' lines (and min-max bands when the server bucketed them),
// a tooltip listing every line's value at the hovered x, drag-to-zoom, CSV/PNG export.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { exact, short } from "../lib/format";

export interface Line {
  id: string; // run path or group name
  label: string;
  color: string;
  x: Float64Array;
  y: Float64Array;
  lo: Float64Array | null;
  hi: Float64Array | null;
  dashed?: boolean;
}

export interface ChartProps {
  title: string;
  lines: Line[];
  xLabel: string;
  time: boolean; // x is unix seconds
  log: boolean;
  zoom: [number, number] | null;
  onZoom: (range: [number, number] | null) => void;
  height: number;
}

interface Tip {
  left: number;
  top: number;
  x: string;
  rows: { label: string; color: string; value: string }[];
}

declare global {
  interface Window {
    tracklet: {
      charts: Record<string, uPlot>;
      draws: { title: string; ms: number; at: number; points: number }[];
      firstChartAt: number | null;
    };
  }
}
window.tracklet ??= { charts: {}, draws: [], firstChartAt: null };

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Joined uPlot data: x, then per line [y] or [y, lo, hi]; series indices per line. */
function build(lines: Line[], log: boolean): { data: uPlot.AlignedData; index: number[][] } {
  const tables: uPlot.AlignedData[] = [];
  const index: number[][] = [];
  let next = 1;
  for (const l of lines) {
    const clean = (a: Float64Array): (number | null)[] => {
      const out = new Array<number | null>(a.length);
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        out[i] = isFinite(v) && !(log && v <= 0) ? v : null;
      }
      return out;
    };
    const cols = [l.x as unknown as number[], clean(l.y)];
    if (l.lo && l.hi) cols.push(clean(l.lo), clean(l.hi));
    tables.push(cols as uPlot.AlignedData);
    index.push(l.lo && l.hi ? [next, next + 1, next + 2] : [next]);
    next += cols.length - 1;
  }
  if (tables.length === 1) return { data: tables[0], index };
  if (tables.length === 0) return { data: [[]], index };
  return { data: uPlot.join(tables), index };
}

function nearest(col: (number | null | undefined)[], idx: number): number | null {
  if (col[idx] != null) return col[idx] as number;
  for (let d = 1; d < 64; d++) {
    const a = col[idx - d];
    if (a != null) return a;
    const b = col[idx + d];
    if (b != null) return b;
  }
  return null;
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const props = useRef(p);
  props.current = p;
  const built = useRef<{ data: uPlot.AlignedData; index: number[][] }>({ data: [[]], index: [] });

  // (re)create when the shape changes: lines, scales, zoom, size
  const theme = document.documentElement.dataset.theme; // axis and grid colours
  const shape = `${p.lines.map((l) => l.id + (l.lo ? "+" : "")).join(",")}|${p.log}|${p.time}|${p.zoom}|${p.height}|${theme}`;
  useEffect(() => {
    const el = box.current;
    if (!el || !p.lines.length) return; // nothing to draw yet: no chart to build
    built.current = build(p.lines, p.log);
    const { data, index } = built.current;
    const series: uPlot.Series[] = [{ label: p.xLabel }];
    const bands: uPlot.Band[] = [];
    p.lines.forEach((l, i) => {
      series.push({ label: l.label, stroke: l.color, width: 1.5, spanGaps: true, points: { show: false }, dash: l.dashed ? [6, 4] : undefined });
      if (index[i].length === 3) {
        series.push({ label: `${l.label} min`, stroke: "transparent", width: 0, spanGaps: true, points: { show: false } });
        series.push({ label: `${l.label} max`, stroke: "transparent", width: 0, spanGaps: true, points: { show: false } });
        bands.push({ series: [index[i][2], index[i][1]], fill: l.color + "33" });
      }
    });
    const axis = cssVar("--fg-muted");
    const grid = cssVar("--grid");
    let clearAt = 0;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: p.height,
      series,
      bands,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      scales: {
        x: { time: p.time, ...(p.zoom ? { range: () => p.zoom as uPlot.Range.MinMax } : {}) },
        y: { distr: p.log ? 3 : 1 },
      },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56, values: (_u, vals) => vals.map((v) => short(v)) },
      ],
      hooks: {
        drawClear: [() => (clearAt = performance.now())],
        draw: [
          (u) => {
            const now = performance.now();
            const t = window.tracklet;
            let points = 0;
            for (let i = 1; i < u.data.length; i++) points += u.data[i].length;
            t.draws.push({ title: props.current.title, ms: now - clearAt, at: now, points });
            if (t.draws.length > 1000) t.draws.splice(0, 500);
            if (t.firstChartAt === null && u.data[0].length > 0) {
              t.firstChartAt = now;
              performance.mark("tracklet:first-chart");
            }
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const lo = u.posToVal(u.select.left, "x");
            const hi = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            props.current.onZoom([lo, hi]);
          },
        ],
        setCursor: [(u) => setTip(tooltip(u))],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    window.tracklet.charts[p.title] = u;
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: props.current.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      if (window.tracklet.charts[p.title] === u) delete window.tracklet.charts[p.title];
      plot.current = null;
    };
  }, [shape]);

  // new data of the same lines: no new chart
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    built.current = build(p.lines, p.log);
    u.setData(built.current.data, !p.zoom);
  }, [p.lines]);

  function tooltip(u: uPlot): Tip | null {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) return null;
    const { data, index } = built.current;
    const x = data[0][idx];
    if (x === undefined || x === null) return null;
    const lines = props.current.lines;
    const rows = lines.map((l, i) => {
      const v = nearest(data[index[i][0]] as (number | null)[], idx);
      return { label: l.label, color: l.color, value: exact(v) };
    });
    const xText = props.current.time ? new Date(x * 1000).toLocaleString() : exact(x);
    return { left: u.cursor.left!, top: u.cursor.top ?? 0, x: xText, rows };
  }

  function download(kind: "csv" | "png") {
    const u = plot.current;
    if (!u) return;
    const name = p.title.replace(/[^\w.-]+/g, "_");
    let href: string;
    if (kind === "png") {
      href = u.ctx.canvas.toDataURL("image/png");
    } else {
      const { data, index } = built.current;
      const head = [p.xLabel, ...p.lines.map((l) => l.label)];
      const rows = [head.map(csvCell).join(",")];
      for (let j = 0; j < data[0].length; j++) {
        const row = [String(data[0][j])];
        index.forEach((ix) => row.push(data[ix[0]][j] == null ? "" : String(data[ix[0]][j])));
        rows.push(row.join(","));
      }
      href = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
    }
    const a = document.createElement("a");
    a.href = href;
    a.download = `${name}.${kind}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  return (
    <div class="chart" data-title={p.title}>
      <div class="chart-plot" ref={box} onDblClick={() => p.zoom && p.onZoom(null)} />
      {tip && (
        <div class="tooltip" role="tooltip" style={{ left: `${Math.min(tip.left + 70, (box.current?.clientWidth ?? 400) - 180)}px`, top: `${tip.top + 10}px` }}>
          <div class="tooltip-x">
            {p.xLabel} <b>{tip.x}</b>
          </div>
          {tip.rows.map((r, i) => (
            <div class="tooltip-row" key={i}>
              <i style={{ background: r.color }} />
              <span class="tooltip-name">{r.label}</span>
              <span class="tooltip-value">{r.value}</span>
            </div>
          ))}
        </div>
      )}
      <div class="legend">
        {p.lines.slice(0, 30).map((l) => (
          <span key={l.id} class="legend-item">
            <i style={{ background: l.color }} />
            {l.label}
          </span>
        ))}
        {p.lines.length > 30 && <span class="muted">+{p.lines.length - 30} more</span>}
      </div>
      <div class="chart-tools">
        <button type="button" class="link" onClick={() => download("csv")} title="Download the panel's data as CSV">
          CSV
        </button>
        <button type="button" class="link" onClick={() => download("png")} title="Download the panel as PNG">
          PNG
        </button>
        {p.zoom && (
          <button type="button" class="link" onClick={() => p.onZoom(null)}>
            Reset zoom
          </button>
        )}
      </div>
    </div>
  );
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
