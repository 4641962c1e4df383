// The /api/v1 client of the dashboard: credentials (session cookie + CSRF token, or a
// share-link token), the error envelope, and the numbers JSON cannot carry.

export const API = "/api/v1";

export interface Project {
  entity: string;
  name: string;
  created_at: number;
  updated_at: number;
  run_count: number;
}

export interface Run {
  entity: string;
  project: string;
  run_id: string;
  name: string;
  state: string;
  created_at: number;
  heartbeat_at: number | null;
  finished_at: number | null;
  group: string | null;
  job_type: string | null;
  tags: string[];
  notes: string | null;
  exit_code: number | null;
  traceback: string | null;
  config: Record<string, unknown>;
  summary: Record<string, unknown>;
  metadata: Record<string, unknown>;
  last_step: number | null;
}

export interface Me {
  username: string | null;
  admin: boolean;
  via: string;
}

interface Points {
  x: unknown[];
  step: number[];
  value: unknown[];
}

interface Buckets {
  x: unknown[];
  min: unknown[];
  max: unknown[];
  mean: unknown[];
  last: unknown[];
  count: number[];
}

export interface SeriesOut {
  run: string;
  key: string;
  x_axis: string;
  count: number;
  points: Points | null;
  buckets: Buckets | null;
}

export interface ConsoleLine {
  line_no: number;
  ts: number;
  stream: string;
  text: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

const CSRF_KEY = "tracklet.csrf";
const SHARE_KEY = "tracklet.share";

/** A share-link token from `?share=` is kept for the tab, so links inside it keep working. */
export function shareToken(): string | null {
  const fromUrl = new URLSearchParams(location.search).get("share");
  if (fromUrl) sessionStorage.setItem(SHARE_KEY, fromUrl);
  return fromUrl || sessionStorage.getItem(SHARE_KEY);
}

export function setCsrf(token: string | null): void {
  if (token) localStorage.setItem(CSRF_KEY, token);
  else localStorage.removeItem(CSRF_KEY);
}

type Params = Record<string, string | number | boolean | null | undefined | string[]>;

export function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) for (const item of v) q.append(k, item);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export async function api<T>(
  path: string,
  opts: { method?: string; params?: Params; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const share = shareToken();
  if (share) headers["X-Tracklet-Share"] = share;
  const method = opts.method ?? "GET";
  if (method !== "GET") {
    const csrf = localStorage.getItem(CSRF_KEY);
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const reply = await fetch(API + path + query(opts.params ?? {}), {
    method,
    headers,
    body,
    credentials: "same-origin",
    signal: opts.signal,
  });
  if (reply.status === 204) return undefined as T;
  const text = await reply.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(reply.status, "bad_reply", `the server answered ${reply.status}: ${text.slice(0, 200)}`);
  }
  if (!reply.ok) {
    const err = (data as { error?: { code: string; message: string } } | null)?.error;
    throw new ApiError(reply.status, err?.code ?? "http_error", err?.message ?? `HTTP ${reply.status}`);
  }
  return data as T;
}

/** "NaN" / "Infinity" / "-Infinity" (how JSON carries them) back to numbers. */
export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === null || v === undefined) return NaN;
  return Number(v);
}

export function numbers(values: unknown[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = num(values[i]);
  return out;
}

/** Every run of a project matching filters/order, page by page (1,000 a page). */
export async function fetchRuns(
  entity: string,
  project: string,
  params: { filters?: string; order?: string },
  onPage: (runs: Run[], done: boolean) => void,
  signal?: AbortSignal,
  firstPage = 50,
): Promise<void> {
  let cursor: string | null = null;
  let limit = firstPage; // a small first page: the first chart need not wait for 10,000 runs
  for (;;) {
    const page: { items: Run[]; next_cursor: string | null } = await api(
      `/runs/${enc(entity)}/${enc(project)}`,
      { params: { ...params, limit, cursor }, signal },
    );
    onPage(page.items, page.next_cursor === null);
    if (page.next_cursor === null) return;
    cursor = page.next_cursor;
    limit = 1000;
  }
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}

export function runPath(r: { entity: string; project: string; run_id: string }): string {
  return `${r.entity}/${r.project}/${r.run_id}`;
}
