import { useMemo } from "preact/hooks";
// The grid of chart panels, sectioned by key prefix (train/, eval/, system/ ...).
import { Run, runPath } from "../lib/api";
import { aggregate, Curve, CurveMap, ema, runColor, sectionOf } from "../lib/series";
import { Chart, Line } from "./Chart";

export interface Panel {
  key: string;
  size: 1 | 2 | 3;
}

export interface PanelsProps {
  panels: Panel[];
  curves: CurveMap;
  runs: Run[]; // the visible runs, in table order
  groups: { name: string; runs: Run[] }[] | null; // when grouped: one aggregate line each
  xAxis: string;
  smooth: number;
  log: boolean;
  zoom: [number, number] | null;
  onZoom: (z: [number, number] | null) => void;
  onRemove?: (key: string) => void;
  onResize?: (key: string, size: 1 | 2 | 3) => void;
}

export function linesFor(key: string, p: Pick<PanelsProps, "curves" | "runs" | "groups" | "smooth">): Line[] {
  const byRun = p.curves.get(key);
  if (!byRun) return [];
  if (p.groups) {
    return p.groups
      .map((g) => {
        const cs = g.runs.map((r) => byRun.get(runPath(r))).filter((c): c is Curve => !!c && c.x.length > 0);
        const agg = aggregate(cs.map((c) => ({ ...c, y: ema(c.y, p.smooth) })));
        return { id: `group:${g.name}`, label: `${g.name} (mean of ${cs.length})`, color: runColor(g.name), x: agg.x, y: agg.mean, lo: agg.lo, hi: agg.hi };
      })
      .filter((l) => l.x.length > 0);
  }
  const out: Line[] = [];
  for (const r of p.runs) {
    const c = byRun.get(runPath(r));
    if (!c || !c.x.length) continue;
    out.push({ id: runPath(r), label: r.name || r.run_id, color: runColor(r.run_id), x: c.x, y: ema(c.y, p.smooth), lo: c.lo, hi: c.hi });
  }
  return out;
}

const X_LABELS: Record<string, string> = { _step: "step", _timestamp: "wall time", _runtime: "relative time (s)" };

export function Panels(p: PanelsProps) {
  const sections = new Map<string, Panel[]>();
  for (const panel of p.panels) {
    const s = sectionOf(panel.key);
    if (!sections.has(s)) sections.set(s, []);
    sections.get(s)!.push(panel);
  }
  const order = [...sections.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return (
    <div class="panels">
      {order.map((s) => (
        <section class="panel-section" key={s} aria-label={`${s} charts`}>
          <h3>{s}</h3>
          <div class="panel-grid">
            {sections.get(s)!.map((panel) => (
              <div class={`panel size-${panel.size}`} key={panel.key} data-key={panel.key}>
                <div class="panel-head">
                  <h4>{panel.key}</h4>
                  {p.onResize && (
                    <span class="panel-actions">
                      {([1, 2, 3] as const).map((n) => (
                        <button type="button" class={`link${panel.size === n ? " on" : ""}`} key={n} aria-label={`Panel width ${n}`} onClick={() => p.onResize!(panel.key, n)}>
                          {"SML"[n - 1]}
                        </button>
                      ))}
                      {p.onRemove && (
                        <button type="button" class="link" aria-label={`Remove panel ${panel.key}`} onClick={() => p.onRemove!(panel.key)}>
                          ×
                        </button>
                      )}
                    </span>
                  )}
                </div>
                <PanelChart panel={panel} {...p} />
              </div>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}

function PanelChart(props: PanelsProps & { panel: Panel }) {
  const { panel, curves, runs, groups, smooth } = props;
  const byRun = curves.get(panel.key);
  const lines = useMemo(() => linesFor(panel.key, { curves, runs, groups, smooth }), [byRun, runs, groups, smooth]);
  return <Chart title={panel.key} lines={lines} xLabel={X_LABELS[props.xAxis] ?? props.xAxis} time={props.xAxis === "_timestamp"} log={props.log} zoom={props.zoom} onZoom={props.onZoom} height={panel.size === 3 ? 320 : 220} />;
}

function rank(section: string): number {
  return { train: 0, eval: 1, val: 1, test: 2, charts: 3, system: 9 }[section] ?? 5;
}
