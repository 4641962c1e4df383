// Chart data: fetching /series for runs x keys, merging live points, EMA smoothing, and
// group aggregates (mean line with a min-max band across a group's runs).
import { api, numbers, SeriesOut } from "./api";

/** One run's curve for one key: x, the line, and the min/max band when bucketed. */
export interface Curve {
  x: Float64Array;
  y: Float64Array;
  lo: Float64Array | null; // bucket minimum (null for raw points)
  hi: Float64Array | null;
  steps: Float64Array | null; // the step of each point (raw points only)
  count: number;
}

export type CurveMap = Map<string, Map<string, Curve>>; // key -> run path -> curve

const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#7f7f7f", "#3b5bdb", "#e8590c", "#0ca678", "#c2255c", "#7048e8", "#f59f00",
];

/** A stable colour per run: the same id always gets the same colour, on every page. */
export function runColor(runId: string): string {
  let h = 2166136261;
  for (let i = 0; i < runId.length; i++) {
    h ^= runId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return PALETTE[(h >>> 0) % PALETTE.length];
}

export function toCurve(s: SeriesOut): Curve {
  if (s.points) {
    return { x: numbers(s.points.x), y: numbers(s.points.value), lo: null, hi: null, steps: Float64Array.from(s.points.step), count: s.count };
  }
  if (s.buckets) {
    return { x: numbers(s.buckets.x), y: numbers(s.buckets.mean), lo: numbers(s.buckets.min), hi: numbers(s.buckets.max), steps: null, count: s.count };
  }
  return { x: new Float64Array(0), y: new Float64Array(0), lo: null, hi: null, steps: null, count: 0 };
}

const MAX_RUNS = 100;
const MAX_KEYS = 50;
const MAX_PAIRS = 1000;

/** /series for runs x keys, split into requests within the server's limits. */
export async function fetchCurves(
  runs: string[],
  keys: string[],
  opts: { xAxis: string; buckets: number; minX?: number | null; maxX?: number | null; signal?: AbortSignal; keysPerRequest?: number; onPart?: (part: CurveMap) => void },
): Promise<CurveMap> {
  const out: CurveMap = new Map();
  if (!runs.length || !keys.length) return out;
  // a few keys per request: the first panels draw while the server computes the rest
  const keyChunk = Math.min(MAX_KEYS, keys.length, opts.keysPerRequest ?? MAX_KEYS);
  const runChunk = Math.max(1, Math.min(MAX_RUNS, Math.floor(MAX_PAIRS / keyChunk)));
  const jobs: Promise<void>[] = [];
  for (let k = 0; k < keys.length; k += keyChunk) {
    for (let r = 0; r < runs.length; r += runChunk) {
      const ks = keys.slice(k, k + keyChunk);
      const rs = runs.slice(r, r + runChunk);
      jobs.push(
        api<{ series: SeriesOut[] }>("/series", {
          params: { runs: rs, keys: ks, x_axis: opts.xAxis, buckets: opts.buckets, min_x: opts.minX ?? null, max_x: opts.maxX ?? null },
          signal: opts.signal,
        }).then((reply) => {
          const part: CurveMap = new Map();
          for (const s of reply.series) {
            for (const target of [out, part]) {
              let byRun = target.get(s.key);
              if (!byRun) target.set(s.key, (byRun = new Map()));
              byRun.set(s.run, toCurve(s));
            }
          }
          opts.onPart?.(part);
        }),
      );
    }
  }
  await Promise.all(jobs);
  return out;
}

/** Add live points (already mapped to x) to a curve; points at or before its end are skipped. */
export function appendPoints(c: Curve | undefined, xs: number[], ys: number[], steps: number[]): Curve {
  const base = c ?? { x: new Float64Array(0), y: new Float64Array(0), lo: null, hi: null, steps: new Float64Array(0), count: 0 };
  const lastStep = base.steps && base.steps.length ? base.steps[base.steps.length - 1] : -Infinity;
  const lastX = base.x.length ? base.x[base.x.length - 1] : -Infinity;
  const keep: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (base.steps ? steps[i] > lastStep : xs[i] > lastX) keep.push(i);
  }
  if (!keep.length) return base;
  const n = base.x.length;
  const grow = (a: Float64Array | null, vals: (i: number) => number): Float64Array | null => {
    if (!a) return null;
    const b = new Float64Array(n + keep.length);
    b.set(a);
    keep.forEach((i, j) => (b[n + j] = vals(i)));
    return b;
  };
  return {
    x: grow(base.x, (i) => xs[i])!,
    y: grow(base.y, (i) => ys[i])!,
    lo: grow(base.lo, (i) => ys[i]),
    hi: grow(base.hi, (i) => ys[i]),
    steps: grow(base.steps, (i) => steps[i]),
    count: base.count + keep.length,
  };
}

/** Debiased exponential moving average (as TensorBoard and W&B draw it); NaN is skipped. */
export function ema(y: Float64Array, weight: number): Float64Array {
  if (weight <= 0) return y;
  const out = new Float64Array(y.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

/** Mean, min and max across runs, on a common grid of `bins` x-intervals. */
export function aggregate(curves: Curve[], bins = 200): { x: Float64Array; mean: Float64Array; lo: Float64Array; hi: Float64Array } {
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const c of curves) {
    if (c.x.length) {
      x0 = Math.min(x0, c.x[0]);
      x1 = Math.max(x1, c.x[c.x.length - 1]);
    }
  }
  if (!isFinite(x0)) return { x: new Float64Array(0), mean: new Float64Array(0), lo: new Float64Array(0), hi: new Float64Array(0) };
  const width = (x1 - x0) / bins || 1;
  const sum = new Float64Array(bins + 1);
  const cnt = new Float64Array(bins + 1);
  const lo = new Float64Array(bins + 1).fill(Infinity);
  const hi = new Float64Array(bins + 1).fill(-Infinity);
  for (const c of curves) {
    // per run, its last finite value in each bin
    const last = new Float64Array(bins + 1).fill(NaN);
    for (let i = 0; i < c.x.length; i++) {
      const v = c.y[i];
      if (isFinite(v)) last[Math.min(bins, Math.floor((c.x[i] - x0) / width))] = v;
    }
    for (let b = 0; b <= bins; b++) {
      const v = last[b];
      if (isNaN(v)) continue;
      sum[b] += v;
      cnt[b]++;
      lo[b] = Math.min(lo[b], v);
      hi[b] = Math.max(hi[b], v);
    }
  }
  const keep: number[] = [];
  for (let b = 0; b <= bins; b++) if (cnt[b]) keep.push(b);
  const pickArr = (f: (b: number) => number) => Float64Array.from(keep, f);
  return {
    x: pickArr((b) => Math.min(x1, x0 + b * width + width)),
    mean: pickArr((b) => sum[b] / cnt[b]),
    lo: pickArr((b) => lo[b]),
    hi: pickArr((b) => hi[b]),
  };
}

/** Section of a metric key in the panel grid: its prefix before the first "/". */
export function sectionOf(key: string): string {
  const i = key.indexOf("/");
  return i > 0 ? key.slice(0, i) : "charts";
}
