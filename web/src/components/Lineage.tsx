// The lineage graph around a version as an SVG: columns left to right along the edges
// (producer run -> version -> consumer runs -> what they logged ...); every node a link.
import { useEffect, useState } from "preact/hooks";
import { api, enc, Run } from "../lib/api";
import { Lineage as Graph, LineageNode, runUrl, versionUrl } from "../lib/artifacts";
import { onLink } from "../lib/router";

const W = 190;
const H = 38;
const GAP_X = 70;
const GAP_Y = 14;

/** Column of each node: the focus is 0, an edge's target one to the right of its source. */
export function layout(graph: Graph, focus: string): Map<string, number> {
  const col = new Map<string, number>([[focus, 0]]);
  const queue = [focus];
  while (queue.length) {
    const id = queue.shift()!;
    const c = col.get(id)!;
    for (const e of graph.edges) {
      if (e.source === id && !col.has(e.target)) col.set(e.target, c + 1), queue.push(e.target);
      if (e.target === id && !col.has(e.source)) col.set(e.source, c - 1), queue.push(e.source);
    }
  }
  return col;
}

function label(n: LineageNode, names: Record<string, string>): string {
  if (n.kind === "run") return names[n.id] || n.run_id || "";
  return `${n.name}:v${n.version}`;
}

function href(n: LineageNode): string {
  return n.kind === "run" ? runUrl(n.entity, n.project, n.run_id ?? "") : versionUrl(n);
}

function clip(s: string, n = 24): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function LineageGraph({ graph, focus }: { graph: Graph; focus: string }) {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    const ctl = new AbortController();
    for (const n of graph.nodes.filter((n) => n.kind === "run")) {
      api<Run>(`/runs/${enc(n.entity)}/${enc(n.project)}/${enc(n.run_id ?? "")}`, { signal: ctl.signal }).then(
        (r) => r.name && setNames((m) => ({ ...m, [n.id]: r.name })),
        () => {},
      );
    }
    return () => ctl.abort();
  }, [graph]);
  const col = layout(graph, focus);
  const nodes = graph.nodes.filter((n) => col.has(n.id));
  const min = Math.min(...col.values());
  const columns = new Map<number, LineageNode[]>();
  for (const n of nodes) {
    const c = col.get(n.id)! - min;
    columns.set(c, [...(columns.get(c) ?? []), n]);
  }
  const pos = new Map<string, [number, number]>();
  let tallest = 0;
  for (const [c, list] of columns) {
    list.sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
    list.forEach((n, i) => pos.set(n.id, [c * (W + GAP_X), i * (H + GAP_Y)]));
    tallest = Math.max(tallest, list.length);
  }
  const height = tallest * (H + GAP_Y) - GAP_Y + 2;
  const width = columns.size * (W + GAP_X) - GAP_X + 2;
  return (
    <svg class="lineage" width={width} height={height} viewBox={`-1 -1 ${width} ${height}`} role="group" aria-label="Lineage graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
        </marker>
      </defs>
      {graph.edges
        .filter((e) => pos.has(e.source) && pos.has(e.target))
        .map((e) => {
          const [sx, sy] = pos.get(e.source)!;
          const [tx, ty] = pos.get(e.target)!;
          const x1 = sx + W;
          const y1 = sy + H / 2;
          const x2 = tx;
          const y2 = ty + H / 2;
          const mid = (x1 + x2) / 2;
          return <path key={`${e.source}>${e.target}`} class={`edge ${e.kind}`} d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`} marker-end="url(#arrow)" data-edge={`${e.source} ${e.kind} ${e.target}`} />;
        })}
      {nodes.map((n) => {
        const [x, y] = pos.get(n.id)!;
        const url = href(n);
        const text = label(n, names);
        const what = n.kind === "run" ? `Run ${text}` : `Artifact ${text}`;
        return (
          <a key={n.id} href={url} onClick={(e) => onLink(e as unknown as MouseEvent, url)} aria-label={what} class={`node ${n.kind}${n.id === focus ? " focus" : ""}`} data-node={n.id}>
            <title>{`${what} (${n.entity}/${n.project})`}</title>
            <rect x={x} y={y} width={W} height={H} rx={n.kind === "run" ? 18 : 4} />
            <text x={x + 10} y={y + 15} class="kind">
              {n.kind === "run" ? "run" : n.type}
            </text>
            <text x={x + 10} y={y + 30} class="name">
              {clip(text)}
            </text>
          </a>
        );
      })}
    </svg>
  );
}
