// One run: overview (editable notes), config, summary, charts, system charts, console, files.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError, enc, Run, runPath } from "../lib/api";
import { dateTime, duration, flatten, runDuration, short } from "../lib/format";
import { navigate, onLink, projectUrl, setQuery } from "../lib/router";
import { CurveMap, fetchCurves, runColor } from "../lib/series";
import { Panels } from "../components/Panels";
import { Console } from "../components/Console";
import { RunArtifacts } from "../components/RunArtifacts";
import { RunFiles } from "../components/RunFiles";
import { RunMedia } from "../components/RunMedia";

const TABS = ["overview", "config", "summary", "charts", "media", "system", "console", "artifacts", "files"] as const;

export function RunPage({ entity, project, runId, search }: { entity: string; project: string; runId: string; search: string }) {
  const tab = (new URLSearchParams(search).get("tab") ?? "overview") as (typeof TABS)[number];
  const zoomText = new URLSearchParams(search).get("zoom"); // the charts' zoom, kept in the URL
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const path = `${enc(entity)}/${enc(project)}/${enc(runId)}`;
  useEffect(() => {
    api<Run>(`/runs/${path}`)
      .then(setRun)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) navigate(`/login?next=${enc(location.pathname)}`);
        else setError((e as Error).message);
      });
  }, [path]);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!run) return <p class="muted pad">Loading…</p>;
  const setTab = (t: string) => {
    const q = new URLSearchParams(location.search);
    if (t === "overview") q.delete("tab");
    else q.set("tab", t);
    q.delete("zoom"); // charts and system charts have different x-axes
    setQuery(q);
  };
  return (
    <div class="run-page pad">
      <h2>
        <i class="swatch big" style={{ background: runColor(run.run_id) }} /> {run.name || run.run_id} <span class={`state state-${run.state}`}>{run.state}</span>
      </h2>
      <p class="muted">
        <a href={projectUrl(entity, project)} onClick={(e) => onLink(e, projectUrl(entity, project))}>
          {entity}/{project}
        </a>{" "}
        · {run.run_id}
      </p>
      <nav class="tabs" role="tablist" aria-label="Run sections">
        {TABS.map((t) => (
          <button type="button" role="tab" aria-selected={tab === t} class={tab === t ? "on" : ""} key={t} onClick={() => setTab(t)}>
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </nav>
      {tab === "overview" && <Overview run={run} onSaved={setRun} />}
      {tab === "config" && <Tree data={run.config} label="Config" />}
      {tab === "summary" && <Tree data={run.summary} label="Summary" />}
      {tab === "charts" && <RunCharts run={run} kind="history" zoomText={zoomText} />}
      {tab === "media" && <RunMedia entity={entity} project={project} runId={runId} running={run.state === "running"} />}
      {tab === "system" && <RunCharts run={run} kind="system" zoomText={zoomText} />}
      {tab === "console" && <Console path={path} running={run.state === "running"} />}
      {tab === "artifacts" && <RunArtifacts entity={entity} project={project} runId={runId} />}
      {tab === "files" && <RunFiles entity={entity} project={project} runId={runId} />}
    </div>
  );
}

function Overview({ run, onSaved }: { run: Run; onSaved: (r: Run) => void }) {
  const [notes, setNotes] = useState(run.notes ?? "");
  const [status, setStatus] = useState("");
  const meta = run.metadata as Record<string, unknown>;
  const git = (meta.git ?? {}) as Record<string, unknown>;
  const argv = Array.isArray(meta.argv) ? (meta.argv as string[]).join(" ") : "";
  const save = async () => {
    setStatus("Saving…");
    try {
      const saved = await api<Run>(`/runs/${enc(run.entity)}/${enc(run.project)}/${enc(run.run_id)}`, { method: "PATCH", body: { notes } });
      onSaved(saved);
      setStatus("Saved.");
    } catch (e) {
      setStatus(e instanceof ApiError && (e.status === 401 || e.status === 403) ? "Read-only here: log in with write access to edit notes." : `Not saved: ${(e as Error).message}`);
    }
  };
  const rows: [string, unknown][] = [
    ["State", run.state + (run.exit_code !== null && run.exit_code !== undefined ? ` (exit code ${run.exit_code})` : "")],
    ["Created", dateTime(run.created_at)],
    ["Duration", duration(runDuration(run))],
    ["Last step", run.last_step],
    ["Host", meta.host],
    ["User", meta.user],
    ["Git commit", [git.commit, git.branch && `(${git.branch})`, git.dirty ? "dirty" : ""].filter(Boolean).join(" ")],
    ["Git remote", git.remote],
    ["Command", argv],
    ["Python", meta.python],
    ["Group", run.group],
    ["Job type", run.job_type],
  ];
  return (
    <div class="overview">
      <table class="plain kv">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td class={k === "Command" || k === "Git commit" ? "mono" : ""}>{short(v)}</td>
            </tr>
          ))}
          <tr>
            <th>Tags</th>
            <td>
              {run.tags.map((t) => (
                <span class="tag" key={t}>
                  {t}
                </span>
              ))}
            </td>
          </tr>
        </tbody>
      </table>
      {run.traceback && <pre class="code error">{run.traceback}</pre>}
      <label class="notes">
        Notes
        <textarea rows={4} value={notes} onInput={(e) => setNotes((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="button" onClick={save} disabled={notes === (run.notes ?? "")}>
        Save notes
      </button>{" "}
      <span class="muted" role="status">
        {status}
      </span>
    </div>
  );
}

function Tree({ data, label }: { data: Record<string, unknown>; label: string }) {
  const [q, setQ] = useState("");
  const flat = useMemo(() => Object.entries(flatten(data)), [data]);
  const shown = q ? flat.filter(([k, v]) => k.toLowerCase().includes(q.toLowerCase()) || short(v).toLowerCase().includes(q.toLowerCase())) : null;
  return (
    <div class="tree">
      <input type="search" placeholder={`Search the ${label.toLowerCase()}`} aria-label={`Search the ${label.toLowerCase()}`} value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      {shown ? (
        <table class="plain kv">
          <tbody>
            {shown.map(([k, v]) => (
              <tr key={k}>
                <th class="mono">{k}</th>
                <td class="mono">{short(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Node value={data} />
      )}
      {!flat.length && <p class="muted">Empty.</p>}
    </div>
  );
}

function Node({ value }: { value: Record<string, unknown> }) {
  return (
    <ul class="node">
      {Object.entries(value).map(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? (
          <li key={k}>
            <details open>
              <summary class="mono">{k}</summary>
              <Node value={v as Record<string, unknown>} />
            </details>
          </li>
        ) : (
          <li key={k} class="mono">
            <span class="k">{k}</span>: <span class="v">{short(v)}</span>
          </li>
        ),
      )}
    </ul>
  );
}

function RunCharts({ run, kind, zoomText }: { run: Run; kind: "history" | "system"; zoomText: string | null }) {
  const [keys, setKeys] = useState<string[] | null>(null);
  const [curves, setCurves] = useState<CurveMap>(new Map());
  const zoom = useMemo<[number, number] | null>(() => {
    const z = zoomText?.split(",").map(Number);
    return z && z.length === 2 && z.every(isFinite) ? [z[0], z[1]] : null;
  }, [zoomText]);
  const setZoom = (z: [number, number] | null) => {
    const q = new URLSearchParams(location.search);
    if (z) q.set("zoom", `${z[0]},${z[1]}`);
    else q.delete("zoom");
    setQuery(q);
  };
  const path = runPath(run);
  useEffect(() => {
    api<{ items: string[] }>(`/runs/${path}/keys`, { params: { kind, limit: 10000 } }).then((r) => setKeys(r.items));
  }, [path, kind]);
  const xAxis = kind === "system" ? "_runtime" : "_step";
  useEffect(() => {
    if (!keys?.length) return;
    fetchCurves([path], keys, { xAxis, buckets: 1000, minX: zoom?.[0], maxX: zoom?.[1] }).then(setCurves);
  }, [keys, zoom]);
  const runs = useMemo(() => [run], [run]);
  if (keys === null) return <p class="muted">Loading…</p>;
  if (!keys.length) return <p class="muted">{kind === "system" ? "No system metrics were recorded for this run." : "No metrics logged yet."}</p>;
  return <Panels panels={keys.map((key) => ({ key, size: 1 }))} curves={curves} runs={runs} groups={null} xAxis={xAxis} smooth={0} log={false} zoom={zoom} onZoom={setZoom} />;
}
