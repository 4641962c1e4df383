// The filter builder's rows <-> the server's W&B-style filter JSON.

export type Op = "$eq" | "$ne" | "$lt" | "$lte" | "$gt" | "$gte" | "$contains";
export type Filter = [field: string, op: Op, value: string];

export const OPS: { op: Op; label: string }[] = [
  { op: "$eq", label: "=" },
  { op: "$ne", label: "≠" },
  { op: "$lt", label: "<" },
  { op: "$lte", label: "≤" },
  { op: "$gt", label: ">" },
  { op: "$gte", label: "≥" },
  { op: "$contains", label: "contains" },
];

export const FIXED_FIELDS = ["state", "tags", "name", "group", "job_type", "created_at"];

/** A typed value from the text box: numbers and booleans as such, dates for created_at. */
export function parseValue(field: string, text: string): unknown {
  const t = text.trim();
  if (field === "created_at" || field === "finished_at") {
    const n = Number(t);
    if (t && isFinite(n)) return n;
    const d = Date.parse(t);
    return isNaN(d) ? t : d / 1000;
  }
  if (field === "state" || field === "tags" || field === "name" || field === "group" || field === "job_type") return t;
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && isFinite(Number(t))) return Number(t);
  return t;
}

/** The runs endpoint's `filters` parameter for these rows and the search box, or "". */
export function toServerFilters(rows: Filter[], search: string): string {
  const parts: Record<string, unknown>[] = [];
  for (const [field, op, value] of rows) {
    if (!field || value.trim() === "") continue;
    parts.push({ [field]: { [op]: parseValue(field, value) } });
  }
  if (search.trim()) parts.push({ name: { $contains: search.trim() } });
  if (!parts.length) return "";
  return JSON.stringify(parts.length === 1 ? parts[0] : { $and: parts });
}

export function parseFilterParam(s: string | null): Filter[] {
  if (!s) return [];
  try {
    const v = JSON.parse(s);
    if (Array.isArray(v)) return v.filter((f) => Array.isArray(f) && f.length === 3).map((f) => [String(f[0]), f[1] as Op, String(f[2])]);
  } catch {
    /* a hand-edited URL: no filters */
  }
  return [];
}
