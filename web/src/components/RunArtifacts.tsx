// The run page's artifacts: the versions this run logged and those it used, each a link.
import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../lib/api";
import { bytes, RUN_FILES_TYPE, Version, versionUrl } from "../lib/artifacts";
import { onLink } from "../lib/router";

function VersionList({ title, versions }: { title: string; versions: Version[] }) {
  return (
    <section class="run-artifacts-list" aria-label={title}>
      <h3>{title}</h3>
      {versions.length ? (
        <table class="plain">
          <thead>
            <tr>
              <th>Artifact</th>
              <th>Type</th>
              <th>Aliases</th>
              <th class="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const url = versionUrl(v);
              return (
                <tr key={`${v.entity}/${v.project}/${v.name}:${v.version}`}>
                  <td>
                    <a href={url} onClick={(e) => onLink(e, url)}>
                      {v.name}:v{v.version}
                    </a>
                  </td>
                  <td>{v.type}</td>
                  <td>
                    {v.aliases.map((a) => (
                      <span class="tag" key={a}>
                        {a}
                      </span>
                    ))}
                  </td>
                  <td class="num">{bytes(v.size)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p class="muted">None.</p>
      )}
    </section>
  );
}

export function RunArtifacts({ entity, project, runId }: { entity: string; project: string; runId: string }) {
  const [data, setData] = useState<{ logged: Version[]; used: Version[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    api<{ logged: Version[]; used: Version[] }>(`/runs/${enc(entity)}/${enc(project)}/${enc(runId)}/artifacts`, { signal: ctl.signal }).then(setData, (e) => ctl.signal.aborted || setError((e as Error).message));
    return () => ctl.abort();
  }, [entity, project, runId]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  // the run's saved files are a run-files artifact: they are listed under Files
  const logged = data.logged.filter((v) => v.type !== RUN_FILES_TYPE);
  return (
    <div class="run-artifacts">
      <VersionList title="Logged" versions={logged} />
      <VersionList title="Used" versions={data.used} />
    </div>
  );
}
