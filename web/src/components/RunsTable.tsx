// The runs table: virtualised (only the rows in view are in the DOM), sortable columns,
// group headers, visibility (eye), selection for compare, pins, stable colours.
//
// Scrolling 10,000 runs without dropped frames: each row is absolutely placed at its own
// index in a spacer as tall as all rows, so a row that stays in the window never moves,
// re-renders or repaints; a scroll adds the few rows that came into the window (and drops
// those that left) in the same frame, never a whole block at once; rows are components
// that skip rendering unless their run or its flags changed; each row contains its own
// layout, style and paint (CSS), so a new row costs only itself.
import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Run } from "../lib/api";
import { dateTime, duration, pick, runDuration, short, summaryValue } from "../lib/format";
import { onLink, projectUrl } from "../lib/router";
import { runColor } from "../lib/series";

export const ROW_HEIGHT = 30;
// The window of rendered rows moves in steps of STEP rows (a slow scroll changes the DOM
// every few frames, a fast one a few rows every frame: never a large block at once), and
// reaches beyond the viewport: more ahead of the scroll than behind it. A row enters the
// DOM one frame after the scroll that reveals it (the scroll event comes with the next
// frame), so AHEAD - STEP rows cover up to 240 px of scroll per frame.
const STEP = 4;
const AHEAD = 12;
const BEHIND = 4;

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

/** A column's class: its cells' width comes from a rule per column (see columnRules). */
export function columnClass(id: string): string {
  return `col-${id.replace(/[^\w-]/g, "_")}`;
}

/** One CSS rule per column: the cells' widths, shared by every row (no per-cell style). */
function columnRules(columns: Column[]): string {
  return columns.map((c) => `.runs-table .${columnClass(c.id)}{width:${WIDTHS[c.id] ?? 110}px}`).join("\n");
}

type Actions = Pick<TableProps, "onToggleVisible" | "onToggleSelected" | "onTogglePinned">;

interface RowProps {
  row: Row;
  index: number;
  columns: Column[];
  columnKey: string; // the column ids joined: a row re-renders when they change
  visible: boolean;
  selected: boolean;
  pinned: boolean;
  actions: Actions; // read when clicked (Preact keeps a skipped row's props current)
}

function sameRow(a: Row, b: Row): boolean {
  if (a.kind === "run") return b.kind === "run" && a.run === b.run;
  return b.kind === "group" && a.name === b.name && a.count === b.count && a.color === b.color;
}

/** One row; rendered when it enters the window or its run, flags or columns change. */
class TableRow extends Component<RowProps> {
  shouldComponentUpdate(n: RowProps): boolean {
    const o = this.props;
    return !sameRow(o.row, n.row) || o.index !== n.index || o.columnKey !== n.columnKey || o.visible !== n.visible || o.selected !== n.selected || o.pinned !== n.pinned;
  }

  render({ row, index, columns, visible, selected, pinned }: RowProps) {
    const style = { top: `${index * ROW_HEIGHT}px` };
    if (row.kind === "group")
      return (
        <div class="tr group-row" role="row" aria-rowindex={index + 2} style={style}>
          <span class="ctl" />
          <span class="ctl" />
          <span class="ctl" />
          <i class="swatch" style={{ background: row.color }} />
          <span class="group-name">
            {row.name} <span class="muted">({row.count} runs)</span>
          </span>
        </div>
      );
    const r = row.run;
    const id = r.run_id;
    return (
      <div class={visible ? "tr" : "tr hidden-run"} role="row" aria-rowindex={index + 2} data-run={id} style={style}>
        <input type="checkbox" class="ctl" aria-label={`Select ${r.name}`} checked={selected} onChange={() => this.props.actions.onToggleSelected(id)} />
        <button type="button" class={visible ? "ctl icon eye on" : "ctl icon eye"} aria-pressed={visible} aria-label={`Show ${r.name} in charts`} onClick={() => this.props.actions.onToggleVisible(id)}>
          {visible ? "●" : "○"}
        </button>
        <button type="button" class={pinned ? "ctl icon pin on" : "ctl icon pin"} aria-pressed={pinned} aria-label={`Pin ${r.name}`} onClick={() => this.props.actions.onTogglePinned(id)}>
          {pinned ? "★" : "☆"}
        </button>
        <i class="swatch" style={{ background: runColor(id) }} />
        {columns.map((c) => (
          <span role="cell" class={`td ${columnClass(c.id)}`} key={c.id}>
            {renderCell(r, c.id)}
          </span>
        ))}
      </div>
    );
  }
}

function rowKey(row: Row): string {
  return row.kind === "run" ? row.run.run_id : `g:${row.name}`;
}

/** The first row of the window's step for a scroll position (the header row is above). */
function anchorRow(top: number): number {
  return Math.floor(Math.max(0, top - ROW_HEIGHT) / ROW_HEIGHT / STEP) * STEP;
}

/** The rows to render for a scroll position: [first, last). */
function rowWindow(top: number, height: number, down: boolean, total: number): [number, number] {
  const anchor = anchorRow(top);
  const first = Math.max(0, anchor - (down ? BEHIND : AHEAD));
  const last = Math.min(total, anchor + STEP + Math.ceil(height / ROW_HEIGHT) + (down ? AHEAD : BEHIND));
  return [first, Math.max(first, last)];
}

export function RunsTable(p: TableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [height, setHeight] = useState(600);
  const [top, setTop] = useState(0);
  const lastTop = useRef(0);
  const down = useRef(true);
  // the row holding the keyboard focus stays in the DOM when scrolled out of the window
  const [focused, setFocused] = useState<{ index: number; key: string } | null>(null);
  const onFocusIn = (e: FocusEvent) => {
    const row = (e.target as HTMLElement).closest(".rows > [aria-rowindex]");
    const index = row ? Number(row.getAttribute("aria-rowindex")) - 2 : -1;
    setFocused(index >= 0 && index < p.rows.length ? { index, key: rowKey(p.rows[index]) } : null);
  };
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // a re-render only when the scroll crossed a step of the window (scroll events come once
  // per frame at most)
  const onScroll = (e: Event) => {
    const y = (e.currentTarget as HTMLDivElement).scrollTop;
    if (y !== lastTop.current) down.current = y > lastTop.current;
    lastTop.current = y;
    if (anchorRow(y) !== anchorRow(top)) setTop(y);
  };
  const [first, last] = rowWindow(top, height, down.current, p.rows.length);
  const desc = p.sort.startsWith("-");
  const sortKey = desc ? p.sort.slice(1) : p.sort;
  const serverField = (id: string) => (id === "duration" || id === "user" || id === "tags" ? null : id);
  const columnKey = p.columns.map((c) => c.id).join("\n");
  const actions: Actions = { onToggleVisible: p.onToggleVisible, onToggleSelected: p.onToggleSelected, onTogglePinned: p.onTogglePinned };

  // the focused row, while it is still the row at its index (not after a sort or filter)
  const kept = focused && focused.index < p.rows.length && rowKey(p.rows[focused.index]) === focused.key ? focused.index : null;
  const indexes = [];
  if (kept !== null && kept < first) indexes.push(kept);
  for (let i = first; i < last; i++) indexes.push(i);
  if (kept !== null && kept >= last) indexes.push(kept);
  const rows = [];
  for (const i of indexes) {
    const row = p.rows[i];
    const id = row.kind === "run" ? row.run.run_id : "";
    rows.push(
      <TableRow
        key={rowKey(row)}
        row={row}
        index={i}
        columns={p.columns}
        columnKey={columnKey}
        visible={row.kind === "run" && p.visible.has(id)}
        selected={row.kind === "run" && p.selected.has(id)}
        pinned={row.kind === "run" && p.pinned.has(id)}
        actions={actions}
      />,
    );
  }

  // one scroller for both directions; the header row sticks to its top (CSS), so it
  // scrolls sideways with the rows
  const header = (
    <div class="tr th" role="row" aria-rowindex={1}>
      <span class="ctl" title="Select for compare">✓</span>
      <span class="ctl" title="Shown in charts">●</span>
      <span class="ctl" title="Pinned to the top">★</span>
      <i class="swatch" />
      {p.columns.map((c) => {
        const field = serverField(c.id);
        const active = sortKey === c.id;
        return (
          <span role="columnheader" key={c.id} class={`col-head ${columnClass(c.id)}`} aria-sort={active ? (desc ? "descending" : "ascending") : "none"}>
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
  );

  return (
    <div class="runs-table" role="table" aria-label="Runs" aria-rowcount={p.rows.length + 1}>
      <style>{columnRules(p.columns)}</style>
      <div class="tbody" ref={scroller} onScroll={onScroll} onFocusIn={onFocusIn}>
        {header}
        <div class="rows" style={{ height: `${p.rows.length * ROW_HEIGHT}px` }}>
          {rows}
        </div>
        {!p.rows.length && !p.loading && <p class="muted pad">No runs match.</p>}
      </div>
    </div>
  );
}
