// A project's workspace: the runs table beside the chart panels. All of its state is in
// the URL (search, filters, sort, group, visible/selected/pinned runs, columns, x-axis,
// zoom, smoothing, log scale, resolution), so a copied URL opens the same view.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, enc, fetchRuns, Run, runPath } from "../lib/api";
import { flatten } from "../lib/format";
import { parseFilterParam, toServerFilters } from "../lib/filters";
import { subscribe } from "../lib/live";
import { navigate, projectUrl, setQuery } from "../lib/router";
import { appendPoints, CurveMap, fetchCurves, runColor } from "../lib/series";
import { Panel, Panels } from "../components/Panels";
import { BASE_COLUMNS, cellValue, Column, Row, RunsTable } from "../components/RunsTable";
import { Toolbar } from "../components/Toolbar";
import { EmptyProject } from "./Projects";
import { SavedViews } from "../components/SavedViews";

const DEFAULT_VISIBLE = 10;
const MAX_VISIBLE = 100;

function list(s: string | null): string[] {
  return s ? s.split(",").filter(Boolean) : [];
}

export function Workspace({ entity, project, search }: { entity: string; project: string; search: string }) {
  const q = new URLSearchParams(search);
  const text = q.get("q") ?? "";
  const filters = parseFilterParam(q.get("f"));
  const sort = q.get("sort") ?? "-created_at";
  const group = q.get("group") ?? "";
  const xAxis = q.get("x") ?? "_step";
  const zoomText = q.get("zoom");
  const zoom = useMemo<[number, number] | null>(() => {
    const z = zoomText?.split(",").map(Number);
    return z && z.length === 2 && z.every(isFinite) ? [z[0], z[1]] : null;
  }, [zoomText]);
  const smooth = Math.min(0.99, Math.max(0, Number(q.get("smooth") ?? 0) || 0));
  const log = q.get("log") === "1";
  const res = Math.min(10000, Math.max(100, Number(q.get("res") ?? 1000) || 1000));
  const visParam = q.get("vis");
  const selected = new Set(list(q.get("sel")));
  const pinned = new Set(list(q.get("pin")));
  const extraCols = list(q.get("cols"));
  const panelParam = q.get("panels");

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === "") next.delete(k);
      else next.set(k, v);
    }
    setQuery(next);
  };

  // -- runs ----------------------------------------------------------------------------
  const serverFilters = toServerFilters(filters, text);
  const order = ["duration", "user", "tags"].includes(sort.replace(/^-/, "")) ? "-created_at" : sort;
  const [runs, setRuns] = useState<Run[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  useLayoutEffect(() => {
    const abort = new AbortController();
    let acc: Run[] = [];
    setLoading(true);
    setError(null);
    fetchRuns(entity, project, { filters: serverFilters, order }, (page, done) => {
      acc = acc.concat(page);
      setRuns(acc);
      if (done) {
        setLoading(false);
        performance.mark("tracklet:runs-loaded");
      }
    }, abort.signal).catch((e) => {
      if (abort.signal.aborted) return;
      setLoading(false);
      if (e instanceof ApiError && e.status === 401) navigate(`/login?next=${enc(location.pathname + location.search)}`);
      else setError(e instanceof Error ? e.message : String(e));
    });
    return () => abort.abort();
  }, [entity, project, serverFilters, order]);

  const [states, setStates] = useState<Record<string, string>>({});
  const shownRuns = useMemo(() => runs.map((r) => (states[runPath(r)] ? { ...r, state: states[runPath(r)] } : r)), [runs, states]);

  // pinned first, then table order; grouped: rows under group headers
  const ordered = useMemo(() => {
    const pins = shownRuns.filter((r) => pinned.has(r.run_id));
    return [...pins, ...shownRuns.filter((r) => !pinned.has(r.run_id))];
  }, [shownRuns, q.get("pin")]);
  const groups = useMemo(() => {
    if (!group) return null;
    const m = new Map<string, Run[]>();
    for (const r of ordered) {
      const v = cellValue(r, group);
      const name = v === null || v === undefined || v === "" ? "(none)" : typeof v === "object" ? JSON.stringify(v) : String(v);
      if (!m.has(name)) m.set(name, []);
      m.get(name)!.push(r);
    }
    return [...m.entries()].map(([name, rs]) => ({ name, runs: rs }));
  }, [ordered, group]);
  const rows: Row[] = useMemo(() => {
    if (!groups) return ordered.map((run) => ({ kind: "run" as const, run }));
    const out: Row[] = [];
    for (const g of groups) {
      out.push({ kind: "group", name: g.name, count: g.runs.length, color: runColor(g.name) });
      for (const run of g.runs) out.push({ kind: "run", run });
    }
    return out;
  }, [ordered, groups]);

  const visible = useMemo(() => {
    if (visParam !== null) return new Set(list(visParam));
    return new Set(ordered.slice(0, DEFAULT_VISIBLE).map((r) => r.run_id));
  }, [visParam, ordered]);
  const visibleRuns = useMemo(() => ordered.filter((r) => visible.has(r.run_id)).slice(0, MAX_VISIBLE), [ordered, visible]);
  // grouped charts aggregate every run of each group (first 100 runs in table order)
  const chartRuns = useMemo(() => (groups ? ordered.slice(0, MAX_VISIBLE) : visibleRuns), [groups, ordered, visibleRuns]);
  const chartGroups = useMemo(() => {
    if (!groups) return null;
    const ids = new Set(chartRuns.map((r) => r.run_id));
    return groups.map((g) => ({ name: g.name, runs: g.runs.filter((r) => ids.has(r.run_id)) })).filter((g) => g.runs.length);
  }, [groups, chartRuns]);

  const toggle = (param: string, set: Set<string>, id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    update({ [param]: [...next].join(",") || (param === "vis" ? "," : null) });
  };

  // -- columns, fields -----------------------------------------------------------------
  const fields = useMemo(() => {
    const seen = new Set<string>();
    for (const r of runs.slice(0, 200)) {
      for (const k of Object.keys(flatten(r.config))) seen.add(`config.${k}`);
      for (const [k, v] of Object.entries(r.summary)) {
        if (v && typeof v === "object" && !Array.isArray(v)) for (const sub of Object.keys(v)) seen.add(`summary.${k}.${sub}`);
        else seen.add(`summary.${k}`);
      }
    }
    return [...seen].sort();
  }, [runs]);
  const columns: Column[] = [...BASE_COLUMNS, ...extraCols.map((id) => ({ id, label: id.replace(/^(config|summary)\./, "") }))];

  // -- metric keys and panels ----------------------------------------------------------
  const [keys, setKeys] = useState<string[]>([]);
  // the summary names (almost) every history key: panels can start before /keys answers
  const summaryRun = visibleRuns[0] ?? ordered[0];
  useLayoutEffect(() => {
    if (!summaryRun) return;
    const found = Object.keys(summaryRun.summary).filter((k) => !k.startsWith("_"));
    setKeys((old) => {
      const all = [...new Set([...old, ...found])].sort();
      return old.join("\n") === all.join("\n") ? old : all;
    });
  }, [summaryRun?.run_id]);
  // every key any run of the project logged (refreshed when runs come or go)
  useLayoutEffect(() => {
    const abort = new AbortController();
    const base = `/projects/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/keys`;
    Promise.all(
      (["history", "system"] as const).map((kind) =>
        api<{ items: string[] }>(base, { params: { kind, limit: 10000 }, signal: abort.signal }).then((r) => r.items),
      ),
    )
      .then((lists) =>
        setKeys((old) => {
          const all = [...new Set([...old, ...lists.flat()])].sort();
          return old.join("\n") === all.join("\n") ? old : all;
        }),
      )
      .catch(() => {});
    return () => abort.abort();
  }, [entity, project, runs.length]);

  const [viewSpec, setViewSpec] = useState<{ panels: Panel[] } | null>(null);
  const panels: Panel[] = useMemo(() => {
    if (panelParam !== null) {
      return list(panelParam).map((item) => {
        const [key, size] = item.split("~");
        return { key: decodeURIComponent(key), size: (Number(size) || 1) as 1 | 2 | 3 };
      });
    }
    if (viewSpec) return viewSpec.panels;
    return keys.filter((k) => k !== xAxis).map((key) => ({ key, size: 1 as const }));
  }, [panelParam, viewSpec, keys, xAxis]);
  const setPanels = (ps: Panel[]) => update({ panels: ps.map((p) => `${encodeURIComponent(p.key)}~${p.size}`).join(",") || "," });

  // -- chart data ----------------------------------------------------------------------
  const [curves, setCurves] = useState<CurveMap>(new Map());
  const chartPaths = chartRuns.map(runPath);
  const panelKeys = panels.map((p) => p.key);
  const dataKey = `${chartPaths.join(",")}|${panelKeys.join(",")}|${xAxis}|${zoomText}|${res}`;
  useLayoutEffect(() => {
    const abort = new AbortController();
    let first = true;
    fetchCurves(chartPaths, panelKeys, {
      xAxis,
      buckets: res,
      minX: zoom?.[0],
      maxX: zoom?.[1],
      signal: abort.signal,
      keysPerRequest: Math.max(1, Math.ceil(40 / Math.max(1, chartPaths.length))),
      onPart: (part) => {
        if (abort.signal.aborted) return;
        const fresh = first;
        first = false;
        setCurves((old) => {
          const next = new Map(fresh ? [] : old);
          part.forEach((v, k) => next.set(k, v));
          return next;
        });
      },
    })
      .catch((e) => {
        if (!abort.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => abort.abort();
  }, [dataKey]);

  // live points of running runs (not while zoomed into the past)
  const running = chartRuns.filter((r) => r.state === "running");
  const liveKey = `${running.map(runPath).join(",")}|${panelKeys.join(",")}|${xAxis}|${zoomText}`;
  const pending = useRef<{ run: string; key: string; xs: number[]; ys: number[]; steps: number[] }[]>([]);
  useEffect(() => {
    if (!running.length || zoom || !["_step", "_timestamp", "_runtime"].includes(xAxis)) return;
    const created = new Map(running.map((r) => [runPath(r), r.created_at]));
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending.current;
      pending.current = [];
      setCurves((old) => {
        const next = new Map(old);
        const touched = new Map<string, Map<string, ReturnType<typeof appendPoints>>>();
        for (const b of batch) {
          let byRun = touched.get(b.key);
          if (!byRun) touched.set(b.key, (byRun = new Map(old.get(b.key) ?? [])));
          byRun.set(b.run, appendPoints(byRun.get(b.run), b.xs, b.ys, b.steps));
        }
        touched.forEach((v, k) => next.set(k, v));
        return next;
      });
    };
    const close = subscribe(
      running.map(runPath),
      panelKeys,
      (p) => {
        const xs = xAxis === "_step" ? p.steps : xAxis === "_timestamp" ? p.timestamps : p.timestamps.map((t) => t - (created.get(p.run) ?? 0));
        pending.current.push({ run: p.run, key: p.key, xs, ys: p.values, steps: p.steps });
        if (!frame) frame = requestAnimationFrame(flush);
      },
      (run, state) => setStates((s) => ({ ...s, [run]: state })),
    );
    return () => {
      close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [liveKey]);

  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!loading && runs.length === 0 && !serverFilters) return <EmptyProject entity={entity} project={project} />;

  const xChoices = ["_step", "_timestamp", "_runtime", ...keys];
  const compareUrl = `${projectUrl(entity, project)}/compare?runs=${[...selected].join(",")}`;
  return (
    <div class="workspace">
      <div class="runs-pane">
        <Toolbar
          search={text}
          onSearch={(v) => update({ q: v })}
          filters={filters}
          onFilters={(f) => update({ f: f.length ? JSON.stringify(f) : null })}
          fields={fields}
          group={group}
          onGroup={(g) => update({ group: g })}
          columns={extraCols}
          onColumns={(c) => update({ cols: c.join(",") })}
        />
        <div class="runs-summary">
          <span class="muted" data-testid="run-count">
            {loading ? "loading… " : ""}
            {runs.length} runs · {visibleRuns.length} shown
          </span>
          <button type="button" class="link" onClick={() => update({ vis: null })}>
            Default
          </button>
          <button type="button" class="link" onClick={() => update({ vis: ordered.slice(0, MAX_VISIBLE).map((r) => r.run_id).join(",") })}>
            Show {Math.min(MAX_VISIBLE, ordered.length)}
          </button>
          <button type="button" class="link" onClick={() => update({ vis: "," })}>
            Hide all
          </button>
          {selected.size > 0 && (
            <a class="button" href={compareUrl} onClick={(e) => { e.preventDefault(); navigate(compareUrl); }}>
              Compare {selected.size}
            </a>
          )}
        </div>
        <RunsTable
          rows={rows}
          columns={columns}
          sort={sort}
          onSort={(s) => update({ sort: s === "-created_at" ? null : s })}
          visible={visible}
          onToggleVisible={(id) => toggle("vis", visible, id)}
          selected={selected}
          onToggleSelected={(id) => toggle("sel", selected, id)}
          pinned={pinned}
          onTogglePinned={(id) => toggle("pin", pinned, id)}
          onRemoveColumn={(id) => update({ cols: extraCols.filter((c) => c !== id).join(",") })}
          loading={loading}
        />
      </div>
      <div class="charts-pane">
        <div class="chart-controls">
          <label class="inline">
            X-axis{" "}
            <select aria-label="X-axis" value={xAxis} onChange={(e) => update({ x: (e.target as HTMLSelectElement).value === "_step" ? null : (e.target as HTMLSelectElement).value, zoom: null })}>
              {xChoices.map((x) => (
                <option value={x} key={x}>
                  {{ _step: "Step", _timestamp: "Wall time", _runtime: "Relative time" }[x] ?? x}
                </option>
              ))}
            </select>
          </label>
          <label class="inline">
            Smoothing{" "}
            <input type="range" min="0" max="0.99" step="0.01" aria-label="Smoothing" value={smooth} onInput={(e) => update({ smooth: (e.target as HTMLInputElement).value === "0" ? null : (e.target as HTMLInputElement).value })} />
            <span class="num">{smooth.toFixed(2)}</span>
          </label>
          <label class="inline">
            <input type="checkbox" checked={log} onChange={() => update({ log: log ? null : "1" })} /> Log scale
          </label>
          <label class="inline">
            Points{" "}
            <select aria-label="Points per line" value={String(res)} onChange={(e) => update({ res: (e.target as HTMLSelectElement).value === "1000" ? null : (e.target as HTMLSelectElement).value })}>
              {[500, 1000, 2000, 5000, 10000].map((n) => (
                <option value={String(n)} key={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          {zoom && (
            <button type="button" onClick={() => update({ zoom: null })}>
              Reset zoom
            </button>
          )}
          <SavedViews
            entity={entity}
            project={project}
            panels={panels}
            keys={keys}
            onPanels={setPanels}
            onLoad={(spec) => {
              setViewSpec(spec);
              update({ panels: null });
            }}
          />
        </div>
        {groups && <p class="muted">Grouped by {group}: each line is a group's mean, the band its min–max.</p>}
        <Panels
          panels={panels}
          curves={curves}
          runs={visibleRuns}
          groups={chartGroups}
          xAxis={xAxis}
          smooth={smooth}
          log={log}
          zoom={zoom}
          onZoom={(z) => update({ zoom: z ? `${z[0]},${z[1]}` : null })}
          onRemove={(key) => setPanels(panels.filter((p) => p.key !== key))}
          onResize={(key, size) => setPanels(panels.map((p) => (p.key === key ? { ...p, size } : p)))}
        />
        {!panels.length && !loading && <p class="muted pad">No metrics logged by the shown runs yet.</p>}
      </div>
    </div>
  );
}
