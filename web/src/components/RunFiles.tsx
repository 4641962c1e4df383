// The run page's files: what the run saved (tracklet.save), with sizes and download links.
import { useEffect, useState } from "preact/hooks";
import { enc } from "../lib/api";
import { bytes, fetchAll, withShare } from "../lib/artifacts";

interface RunFile {
  path: string;
  size: number;
  digest: string;
  url: string;
}

export function RunFiles({ entity, project, runId }: { entity: string; project: string; runId: string }) {
  const [files, setFiles] = useState<RunFile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    fetchAll<RunFile>(`/runs/${enc(entity)}/${enc(project)}/${enc(runId)}/files`, 10000, ctl.signal).then(setFiles, (e) => ctl.signal.aborted || setError((e as Error).message));
    return () => ctl.abort();
  }, [entity, project, runId]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!files) return <p class="muted">Loading…</p>;
  if (!files.length)
    return (
      <p class="muted">
        This run saved no files. <code>tracklet.save("outputs/*.json")</code> keeps files with a run.
      </p>
    );
  const total = files.reduce((s, f) => s + f.size, 0);
  return (
    <div class="run-files">
      <p class="muted">
        {files.length} file{files.length === 1 ? "" : "s"}, {bytes(total)}
      </p>
      <table class="plain">
        <thead>
          <tr>
            <th>Path</th>
            <th class="num">Size</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.path} data-path={f.path}>
              <td class="mono">{f.path}</td>
              <td class="num">{bytes(f.size)}</td>
              <td>
                <a href={withShare(f.url)} download={f.path.slice(f.path.lastIndexOf("/") + 1)} aria-label={`Download ${f.path}`}>
                  Download
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
