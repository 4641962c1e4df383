// The run page's media: one panel per media key (images, lists of images, tables,
// histograms), each with a step slider that starts at the latest step.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, API, enc, num } from "../lib/api";
import { withShare } from "../lib/artifacts";
import "../media.css";

const PAGE = 200; // media values per request (tables can be large)
const TABLE_ROWS = 200; // rows a table panel shows
const POLL_MS = 5000; // while the run is running, new media values are fetched this often

interface MediaValue {
  key: string;
  step: number;
  ts: number;
  media_type: string;
  data: Record<string, unknown>;
}

interface ImageFile {
  _type: "image-file";
  sha256: string;
  width: number;
  height: number;
  format: string;
  caption?: string;
  missing?: string;
}

async function fetchValues(path: string, key: string, signal: AbortSignal): Promise<MediaValue[]> {
  const all: MediaValue[] = [];
  let offset: number | null = 0;
  while (offset !== null) {
    const page: { items: MediaValue[]; next_offset: number | null } = await api(`/runs/${path}/media`, {
      params: { keys: [key], offset, limit: PAGE },
      signal,
    });
    all.push(...page.items);
    offset = page.next_offset;
  }
  return all;
}

export function RunMedia({ entity, project, runId, running }: { entity: string; project: string; runId: string; running?: boolean }) {
  const path = `${enc(entity)}/${enc(project)}/${enc(runId)}`;
  const [keys, setKeys] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setTick((t) => t + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [running]);
  useEffect(() => {
    const ctl = new AbortController();
    api<{ items: string[] }>(`/runs/${path}/media/keys`, { signal: ctl.signal }).then(
      (r) => setKeys(r.items),
      (e) => ctl.signal.aborted || setError((e as Error).message),
    );
    return () => ctl.abort();
  }, [path, tick]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (keys === null) return <p class="muted">Loading…</p>;
  if (!keys.length)
    return (
      <p class="muted">
        This run logged no media. <code>tracklet.log({"{"}"samples": tracklet.Image(array){"}"})</code> logs an image; <code>tracklet.Table</code> and{" "}
        <code>tracklet.Histogram</code> log tables and histograms.
      </p>
    );
  return (
    <div class="run-media">
      {keys.map((key) => (
        <MediaPanel key={key} path={path} mediaKey={key} tick={tick} />
      ))}
    </div>
  );
}

function MediaPanel({ path, mediaKey, tick }: { path: string; mediaKey: string; tick: number }) {
  const [values, setValues] = useState<MediaValue[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState<number | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    fetchValues(path, mediaKey, ctl.signal).then(
      (v) => setValues(v), // a chosen step stays chosen; "latest" follows new steps
      (e) => ctl.signal.aborted || setError((e as Error).message),
    );
    return () => ctl.abort();
  }, [path, mediaKey, tick]);
  const id = `media-${mediaKey.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  let body = null;
  let slider = null;
  if (error) body = <p class="error" role="alert">{error}</p>;
  else if (!values) body = <p class="muted">Loading…</p>;
  else if (!values.length) body = <p class="muted">No values.</p>;
  else {
    const at = index ?? values.length - 1; // the latest step by default
    const value = values[at];
    if (values.length > 1)
      slider = (
        <label class="media-step">
          Step
          <input
            type="range"
            min={0}
            max={values.length - 1}
            value={at}
            aria-label={`Step of ${mediaKey}`}
            aria-valuetext={`step ${value.step}`}
            onInput={(e) => {
              const i = Number((e.target as HTMLInputElement).value);
              setIndex(i === values.length - 1 ? null : i); // at the end: follow new steps
            }}
          />
          <output class="mono">{value.step}</output>
        </label>
      );
    else slider = <span class="muted media-step">Step {value.step}</span>;
    body = <MediaValueView path={path} value={value.data} label={mediaKey} />;
  }
  return (
    <section class="media-panel" aria-labelledby={id} data-key={mediaKey}>
      <header>
        <h3 id={id} class="mono">
          {mediaKey}
        </h3>
        {slider}
      </header>
      {body}
    </section>
  );
}

function MediaValueView({ path, value, label }: { path: string; value: Record<string, unknown>; label: string }) {
  switch (value._type) {
    case "image-file":
      return <Figure path={path} image={value as unknown as ImageFile} label={label} />;
    case "images/separated": {
      const images = (value.images ?? []) as ImageFile[];
      return (
        <div class="media-gallery">
          {images.map((image, i) => (
            <Figure key={i} path={path} image={image} label={`${label} ${i + 1} of ${images.length}`} />
          ))}
        </div>
      );
    }
    case "table":
      return <TableView path={path} table={value} label={label} />;
    case "histogram":
      return <HistogramView values={(value.values ?? []) as unknown[]} bins={(value.bins ?? []) as unknown[]} label={label} />;
    default:
      return <pre class="code">{JSON.stringify(value, null, 2).slice(0, 4000)}</pre>;
  }
}

function imageUrl(path: string, sha256: string): string {
  return withShare(`${API}/runs/${path}/media/blobs/${sha256}`);
}

function Figure({ path, image, label, thumb }: { path: string; image: ImageFile; label: string; thumb?: boolean }) {
  if (image.missing)
    return (
      <p class="muted media-missing" role="note">
        Image stored without its bytes: {image.missing}
      </p>
    );
  const img = (
    <img
      src={imageUrl(path, image.sha256)}
      width={image.width}
      height={image.height}
      alt={image.caption || label}
      loading="lazy"
      data-sha256={image.sha256}
    />
  );
  if (thumb) return <span class="media-thumb">{img}</span>;
  return (
    <figure class="media-figure">
      <a href={imageUrl(path, image.sha256)} target="_blank" rel="noopener" aria-label={`Open ${image.caption || label} at full size`}>
        {img}
      </a>
      {image.caption && <figcaption>{image.caption}</figcaption>}
    </figure>
  );
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function TableView({ path, table, label }: { path: string; table: Record<string, unknown>; label: string }) {
  const columns = (table.columns ?? []) as string[];
  const rows = (table.data ?? []) as unknown[][];
  const shown = rows.slice(0, TABLE_ROWS);
  return (
    <div>
      <div class="media-table" tabIndex={0} role="region" aria-label={`Table ${label}`}>
        <table class="plain">
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={r}>
                {row.map((cell, c) => {
                  const image = cell && typeof cell === "object" && (cell as ImageFile)._type === "image-file" ? (cell as ImageFile) : null;
                  return (
                    <td key={c} class={typeof cell === "number" ? "num" : ""}>
                      {image ? <Figure path={path} image={image} label={`${columns[c]} of row ${r + 1}`} thumb /> : cellText(cell)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        {rows.length > shown.length ? `First ${shown.length} of ${rows.length} rows` : `${rows.length} row${rows.length === 1 ? "" : "s"}`}, {columns.length} column
        {columns.length === 1 ? "" : "s"}
      </p>
    </div>
  );
}

function HistogramView({ values, bins, label }: { values: unknown[]; bins: unknown[]; label: string }) {
  const counts = useMemo(() => values.map(num), [values]);
  const edges = useMemo(() => bins.map(num), [bins]);
  const max = Math.max(1, ...counts.filter(Number.isFinite));
  const w = 480;
  const h = 140;
  const bw = counts.length ? w / counts.length : w;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  return (
    <figure class="media-histogram">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`Histogram of ${label}: ${counts.length} bins from ${lo} to ${hi}`}>
        {counts.map((c, i) => {
          const bh = Number.isFinite(c) ? (c / max) * (h - 4) : 0;
          return (
            <rect key={i} x={i * bw + 0.5} y={h - bh} width={Math.max(bw - 1, 0.5)} height={bh}>
              <title>{`${edges[i]} to ${edges[i + 1]}: ${c}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="muted small mono">
        {lo} … {hi}
      </figcaption>
    </figure>
  );
}
