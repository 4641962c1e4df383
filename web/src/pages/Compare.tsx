// Selected runs side by side: config and summary, rows whose values differ highlighted.
import { useEffect, useState } from "preact/hooks";
import { api, enc, Run } from "../lib/api";
import { flatten, short, summaryValue } from "../lib/format";
import { onLink, projectUrl, setQuery } from "../lib/router";
import { runColor } from "../lib/series";

export function Compare({ entity, project, search }: { entity: string; project: string; search: string }) {
  const q = new URLSearchParams(search);
  const ids = (q.get("runs") ?? "").split(",").filter(Boolean);
  const onlyDiff = q.get("diff") === "1";
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all(ids.map((id) => api<Run>(`/runs/${enc(entity)}/${enc(project)}/${enc(id)}`)))
      .then(setRuns)
      .catch((e) => setError((e as Error).message));
  }, [entity, project, ids.join(",")]);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!ids.length)
    return (
      <p class="pad">
        Select runs in the{" "}
        <a href={projectUrl(entity, project)} onClick={(e) => onLink(e, projectUrl(entity, project))}>
          runs table
        </a>{" "}
        (the check boxes), then press Compare.
      </p>
    );
  if (!runs) return <p class="muted pad">Loading…</p>;
  const section = (title: string, pickValues: (r: Run) => Record<string, unknown>) => {
    const flat = runs.map((r) => pickValues(r));
    const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
    const rows = keys.map((k) => {
      const vals = flat.map((f) => (k in f ? JSON.stringify(f[k]) : undefined));
      return { k, differs: new Set(vals).size > 1, cells: flat.map((f) => f[k]) };
    });
    const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
    return (
      <section>
        <h3>
          {title} <span class="muted">({rows.filter((r) => r.differs).length} of {rows.length} differ)</span>
        </h3>
        <table class="plain compare">
          <thead>
            <tr>
              <th>key</th>
              {runs.map((r) => (
                <th key={r.run_id}>
                  <i class="swatch" style={{ background: runColor(r.run_id) }} /> {r.name || r.run_id}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.k} class={row.differs ? "differs" : ""} data-key={row.k} aria-label={row.differs ? `${row.k} differs` : undefined}>
                <th class="mono">
                  {row.k}
                  {row.differs && <span class="badge">differs</span>}
                </th>
                {row.cells.map((v, i) => (
                  <td class="mono" key={i}>
                    {short(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    );
  };
  return (
    <div class="pad compare-page">
      <h2>Compare {runs.length} runs</h2>
      <label class="inline">
        <input
          type="checkbox"
          checked={onlyDiff}
          onChange={() => {
            const next = new URLSearchParams(location.search);
            if (onlyDiff) next.delete("diff");
            else next.set("diff", "1");
            setQuery(next);
          }}
        />{" "}
        Only differences
      </label>
      {section("Config", (r) => flatten(r.config))}
      {section("Summary", (r) => Object.fromEntries(Object.entries(r.summary).map(([k, v]) => [k, summaryValue(v)])))}
    </div>
  );
}
