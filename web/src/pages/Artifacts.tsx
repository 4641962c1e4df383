// A project's artifact collections grouped by type, and one collection's versions.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, enc } from "../lib/api";
import { artifactsApi, artifactsUrl, bytes, Collection, fetchAll, RUN_FILES_TYPE, runUrl, Version, versionUrl } from "../lib/artifacts";
import { ago, dateTime, short } from "../lib/format";
import { navigate, onLink, setQuery } from "../lib/router";
import "../artifacts.css";

export function A({ href, children, label }: { href: string; children: preact.ComponentChildren; label?: string }) {
  return (
    <a href={href} aria-label={label} onClick={(e) => onLink(e, href)}>
      {children}
    </a>
  );
}

/** Loads once per key; a 401 goes to the login page, other errors are shown. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): [T | null, string | null] {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setData(null);
    setError(null);
    load(ctl.signal).then(setData, (e) => {
      if (ctl.signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) navigate(`/login?next=${enc(location.pathname + location.search)}`, true);
      else setError((e as Error).message);
    });
    return () => ctl.abort();
  }, [key]);
  return [data, error];
}

export function Aliases({ aliases }: { aliases: string[] }) {
  return (
    <>
      {[...aliases].sort().map((a) => (
        <span class={`tag alias${a === "latest" ? " latest" : ""}`} key={a}>
          {a}
        </span>
      ))}
    </>
  );
}

export function FirstArtifact({ project }: { project: string }) {
  return (
    <pre class="code" aria-label="Log a first artifact">
      <code>{`import tracklet\nrun = tracklet.init(project="${project}")\nartifact = tracklet.Artifact("my-dataset", type="dataset")\nartifact.add_dir("data")          # or add_file("data.csv")\nrun.log_artifact(artifact, aliases=["raw"])\nrun.finish()`}</code>
    </pre>
  );
}

async function loadCollections(entity: string, project: string, signal: AbortSignal): Promise<Collection[]> {
  const reply = await api<{ items: Collection[] }>(artifactsApi(entity, project), { signal });
  return reply.items;
}

export function Collections({ entity, project, search }: { entity: string; project: string; search: string }) {
  const showRunFiles = new URLSearchParams(search).get("run_files") === "1";
  const [collections, error] = useLoad((s) => loadCollections(entity, project, s), `${entity}/${project}`);
  const [latest, setLatest] = useState<Record<string, Version | null>>({});
  const shown = (collections ?? []).filter((c) => showRunFiles || c.type !== RUN_FILES_TYPE);
  const hiddenCount = (collections?.length ?? 0) - shown.length;
  useEffect(() => {
    // each shown collection's latest version: its size and when it last changed
    const ctl = new AbortController();
    const todo = shown.filter((c) => !(`${entity}/${project}/${c.name}` in latest));
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !ctl.signal.aborted) {
        const c = todo[next++];
        const v = await api<Version>(`${artifactsApi(entity, project, c.name)}/versions/latest`, { signal: ctl.signal }).catch(() => null);
        if (!ctl.signal.aborted) setLatest((m) => ({ ...m, [`${entity}/${project}/${c.name}`]: v }));
      }
    };
    for (let i = 0; i < 6; i++) worker();
    return () => ctl.abort();
  }, [collections, showRunFiles]);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!collections) return <p class="muted pad">Loading artifacts…</p>;
  const toggle = () => {
    const q = new URLSearchParams(search);
    if (showRunFiles) q.delete("run_files");
    else q.set("run_files", "1");
    setQuery(q);
  };
  const types = [...new Set(shown.map((c) => c.type))].sort((a, b) => (a === RUN_FILES_TYPE ? 1 : b === RUN_FILES_TYPE ? -1 : a.localeCompare(b)));
  return (
    <div class="pad artifacts">
      <h2>Artifacts</h2>
      {(hiddenCount > 0 || showRunFiles) && (
        <p class="muted">
          <label class="inline">
            <input type="checkbox" checked={showRunFiles} onChange={toggle} /> Show the runs' saved files ({RUN_FILES_TYPE})
          </label>
          {!showRunFiles && ` · ${hiddenCount} hidden`}
        </p>
      )}
      {!collections.length && (
        <div class="empty">
          <p>
            {entity}/{project} has no artifacts yet. Log a first one with a few lines of Python:
          </p>
          <FirstArtifact project={project} />
        </div>
      )}
      {types.map((type) => (
        <section key={type} class="artifact-type" aria-label={`Type ${type}`} data-type={type}>
          <h3>{type}</h3>
          <table class="plain collections">
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Versions</th>
                <th>Latest</th>
                <th class="num">Size</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown
                .filter((c) => c.type === type)
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((c) => {
                  const v = latest[`${entity}/${project}/${c.name}`];
                  return (
                    <tr key={c.name} data-collection={c.name}>
                      <td>
                        <A href={artifactsUrl(entity, project, c.name)}>{c.name}</A>
                        {c.description && <div class="muted small">{c.description}</div>}
                      </td>
                      <td class="num">{c.version_count}</td>
                      <td>
                        {v && (
                          <>
                            <A href={versionUrl(v)}>v{v.version}</A> <Aliases aliases={v.aliases.filter((a) => a !== "latest")} />
                          </>
                        )}
                      </td>
                      <td class="num">{v ? bytes(v.size) : ""}</td>
                      <td title={v ? dateTime(v.created_at) : ""}>{v ? ago(v.created_at) : ""}</td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

export function Metadata({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data);
  if (!entries.length) return <span class="muted">–</span>;
  return (
    <dl class="metadata">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt class="mono">{k}</dt>
          <dd class="mono">{short(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Versions({ entity, project, name }: { entity: string; project: string; name: string }) {
  const [versions, error] = useLoad((s) => fetchAll<Version>(`${artifactsApi(entity, project, name)}/versions`, 1000, s), `${entity}/${project}/${name}`);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!versions) return <p class="muted pad">Loading versions…</p>;
  const newest = [...versions].reverse();
  return (
    <div class="pad artifacts">
      <p class="muted">
        <A href={artifactsUrl(entity, project)}>Artifacts</A> · {versions[0]?.type}
      </p>
      <h2>{name}</h2>
      <table class="plain versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Aliases</th>
            <th class="num">Size</th>
            <th class="num">Files</th>
            <th>Created</th>
            <th>Logged by</th>
            <th>Description</th>
            <th>Metadata</th>
          </tr>
        </thead>
        <tbody>
          {newest.map((v) => (
            <tr key={v.version} data-version={`v${v.version}`}>
              <td>
                <A href={versionUrl(v)}>v{v.version}</A>
              </td>
              <td>
                <Aliases aliases={v.aliases} />
              </td>
              <td class="num">{bytes(v.size)}</td>
              <td class="num">{v.file_count}</td>
              <td title={dateTime(v.created_at)}>{ago(v.created_at)}</td>
              <td class="mono">{v.run_id && <A href={runUrl(v.entity, v.project, v.run_id)}>{v.run_id}</A>}</td>
              <td>{v.description}</td>
              <td>
                <Metadata data={v.metadata} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
