// The runs table: virtualised (only the rows in view are in the DOM), sortable columns,
// group headers, visibility (eye), selection for compare, pins, stable colours.
import { useEffect, useRef, useState } from "preact/hooks";
import { Run } from "../lib/api";
import { dateTime, duration, pick, runDuration, short, summaryValue } from "../lib/format";
import { onLink, projectUrl } from "../lib/router";
import { runColor } from "../lib/series";

export const ROW_HEIGHT = 30;
const CHUNK = 16;

export interface Column {
  id: string; // "name", "state", ... or "config.<key>" / "summary.<key>"
  label: string;
}

export const BASE_COLUMNS: Column[] = [
  { id: "name", label: "Name" },
  { id: "state", label: "State" },
  { id: "created_at", label: "Created" },
  { id: "duration", label: "Duration" },
  { id: "tags", label: "Tags" },
  { id: "user", label: "User" },
];

const WIDTHS: Record<string, number> = { name: 230, state: 80, created_at: 128, duration: 80, tags: 150, user: 80 };

export type Row = { kind: "run"; run: Run } | { kind: "group"; name: string; count: number; color: string };

export function cellValue(run: Run, col: string): unknown {
  if (col === "name") return run.name;
  if (col === "state") return run.state;
  if (col === "created_at") return run.created_at;
  if (col === "duration") return runDuration(run);
  if (col === "tags") return run.tags;
  if (col === "user") return run.metadata?.user ?? "";
  if (col === "group") return run.group;
  if (col === "job_type") return run.job_type;
  if (col.startsWith("config.")) return pick(run.config, col.slice(7));
  if (col.startsWith("summary.")) {
    const key = col.slice(8);
    if (key in run.summary) return summaryValue(run.summary[key]);
    return pick(run.summary, key);
  }
  return undefined;
}

function renderCell(run: Run, col: string) {
  const v = cellValue(run, col);
  if (col === "name")
    return (
      <a href={`${projectUrl(run.entity, run.project)}/runs/${encodeURIComponent(run.run_id)}`} onClick={(e) => onLink(e, `${projectUrl(run.entity, run.project)}/runs/${encodeURIComponent(run.run_id)}`)}>
        {run.name || run.run_id}
      </a>
    );
  if (col === "state") return <span class={`state state-${run.state}`}>{run.state}</span>;
  if (col === "created_at") return dateTime(run.created_at);
  if (col === "duration") return duration(v as number);
  if (col === "tags")
    return run.tags.map((t) => (
      <span class="tag" key={t}>
        {t}
      </span>
    ));
  return short(v);
}

export interface TableProps {
  rows: Row[];
  columns: Column[];
  sort: string;
  onSort: (sort: string) => void;
  visible: Set<string>;
  onToggleVisible: (runId: string) => void;
  selected: Set<string>;
  onToggleSelected: (runId: string) => void;
  pinned: Set<string>;
  onTogglePinned: (runId: string) => void;
  onRemoveColumn: (id: string) => void;
  loading: boolean;
}

export function RunsTable(p: TableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  // rows are rendered in blocks of CHUNK: scrolling re-renders only when a block boundary
  // is crossed, not on every scroll event
  const [chunk, setChunk] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, (chunk - 1) * CHUNK);
  const last = Math.min(p.rows.length, (chunk + 2) * CHUNK + Math.ceil(height / ROW_HEIGHT));
  const desc = p.sort.startsWith("-");
  const sortKey = desc ? p.sort.slice(1) : p.sort;
  const serverField = (id: string) => (id === "duration" || id === "user" || id === "tags" ? null : id);
  const grid = `24px 24px 24px 12px ${p.columns.map((c) => `${WIDTHS[c.id] ?? 110}px`).join(" ")}`;

  return (
    <div class="runs-table" role="table" aria-label="Runs" aria-rowcount={p.rows.length}>
      <div class="tr th" role="row" style={{ gridTemplateColumns: grid }}>
        <span title="Select for compare">✓</span>
        <span title="Shown in charts">●</span>
        <span title="Pinned to the top">★</span>
        <span />
        {p.columns.map((c) => {
          const field = serverField(c.id);
          const active = sortKey === c.id;
          return (
            <span role="columnheader" key={c.id} class="col-head" aria-sort={active ? (desc ? "descending" : "ascending") : "none"}>
              {field ? (
                <button type="button" class="link" data-sort={c.id} title={`Sort by ${c.label}`} onClick={() => p.onSort(active && !desc ? `-${c.id}` : c.id)}>
                  {c.label} {active ? (desc ? "▼" : "▲") : ""}
                </button>
              ) : (
                c.label
              )}
              {!BASE_COLUMNS.some((b) => b.id === c.id) && (
                <button type="button" class="link remove-col" aria-label={`Remove column ${c.label}`} onClick={() => p.onRemoveColumn(c.id)}>
                  ×
                </button>
              )}
            </span>
          );
        })}
      </div>
      <div class="tbody" ref={scroller} onScroll={(e) => {
          const next = Math.floor((e.currentTarget as HTMLDivElement).scrollTop / ROW_HEIGHT / CHUNK);
          if (next !== chunk) setChunk(next);
        }}>
        <div style={{ height: `${p.rows.length * ROW_HEIGHT}px`, position: "relative" }}>
          {p.rows.slice(first, last).map((row, i) => {
            const y = (first + i) * ROW_HEIGHT;
            if (row.kind === "group")
              return (
                <div class="tr group-row" role="row" key={`g:${row.name}`} style={{ top: `${y}px`, gridTemplateColumns: grid }}>
                  <span />
                  <span />
                  <span />
                  <i class="swatch" style={{ background: row.color }} />
                  <span class="group-name">
                    {row.name} <span class="muted">({row.count} runs)</span>
                  </span>
                </div>
              );
            const r = row.run;
            return (
              <div class={`tr${p.visible.has(r.run_id) ? "" : " hidden-run"}`} role="row" data-run={r.run_id} key={r.run_id} style={{ top: `${y}px`, gridTemplateColumns: grid }}>
                <input type="checkbox" aria-label={`Select ${r.name}`} checked={p.selected.has(r.run_id)} onChange={() => p.onToggleSelected(r.run_id)} />
                <button type="button" class={`icon eye${p.visible.has(r.run_id) ? " on" : ""}`} aria-pressed={p.visible.has(r.run_id)} aria-label={`Show ${r.name} in charts`} onClick={() => p.onToggleVisible(r.run_id)}>
                  {p.visible.has(r.run_id) ? "●" : "○"}
                </button>
                <button type="button" class={`icon pin${p.pinned.has(r.run_id) ? " on" : ""}`} aria-pressed={p.pinned.has(r.run_id)} aria-label={`Pin ${r.name}`} onClick={() => p.onTogglePinned(r.run_id)}>
                  {p.pinned.has(r.run_id) ? "★" : "☆"}
                </button>
                <i class="swatch" style={{ background: runColor(r.run_id) }} />
                {p.columns.map((c) => (
                  <span role="cell" class={`td col-${c.id.replace(/[^\w-]/g, "_")}`} key={c.id}>
                    {renderCell(r, c.id)}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
        {!p.rows.length && !p.loading && <p class="muted pad">No runs match.</p>}
      </div>
    </div>
  );
}
