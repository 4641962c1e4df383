// How values are shown: times, durations, numbers, flattened config keys.

export function ago(ts: number | null | undefined): string {
  if (!ts) return "";
  const s = Date.now() / 1000 - ts;
  if (s < 60) return `${Math.max(0, Math.round(s))}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function dateTime(ts: number | null | undefined): string {
  if (!ts) return "";
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function runDuration(r: { created_at: number; finished_at: number | null; heartbeat_at: number | null; state: string }): number {
  const end = r.finished_at ?? (r.state === "running" ? Date.now() / 1000 : r.heartbeat_at ?? r.created_at);
  return end - r.created_at;
}

/** Short form for tables and axes. */
export function short(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(5)));
  }
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  return JSON.stringify(v);
}

/** Exact form: the value as logged (JS prints the shortest text that reads back the same). */
export function exact(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  return String(v);
}

/** {"a": {"b": 1}} -> {"a.b": 1}; lists stay values. */
export function flatten(obj: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** A value at a dotted path of a nested object (config keys may hold dots themselves). */
export function pick(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path];
  const flat = flatten(obj);
  return flat[path];
}

/** Summary values are numbers or {min, max, last ...} objects; the one to show. */
export function summaryValue(v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ("last" in o) return o.last;
  }
  return v;
}
