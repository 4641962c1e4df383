// One artifact version: what it is, its metadata and aliases, its file tree, its lineage.
import { api } from "../lib/api";
import { artifactsApi, artifactsUrl, bytes, fetchAll, Lineage, ManifestFile, runUrl, Version } from "../lib/artifacts";
import { dateTime } from "../lib/format";
import { FileTree } from "../components/FileTree";
import { LineageGraph } from "../components/Lineage";
import { A, Aliases, Metadata, useLoad } from "./Artifacts";
import "../artifacts.css";

interface Loaded {
  version: Version;
  files: ManifestFile[];
  lineage: Lineage;
}

async function load(entity: string, project: string, name: string, alias: string, signal: AbortSignal): Promise<Loaded> {
  const base = `${artifactsApi(entity, project, name)}/versions/${encodeURIComponent(alias)}`;
  const [version, files, lineage] = await Promise.all([
    api<Version>(base, { signal }),
    fetchAll<ManifestFile>(`${base}/files`, 100000, signal),
    api<Lineage>(`${base}/lineage`, { signal }),
  ]);
  return { version, files, lineage };
}

export function ArtifactVersion({ entity, project, name, alias }: { entity: string; project: string; name: string; alias: string }) {
  const [data, error] = useLoad((s) => load(entity, project, name, alias, s), `${entity}/${project}/${name}/${alias}`);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!data) return <p class="muted pad">Loading {name}:{alias}…</p>;
  const { version: v, files, lineage } = data;
  const focus = `artifact:${v.entity}/${v.project}/${v.name}:v${v.version}`;
  return (
    <div class="pad artifacts artifact-version">
      <p class="muted">
        <A href={artifactsUrl(entity, project)}>Artifacts</A> · {v.type} · <A href={artifactsUrl(entity, project, name)}>{name}</A>
      </p>
      <h2>
        {v.name}:v{v.version} <Aliases aliases={v.aliases} />
      </h2>
      {v.description && <p>{v.description}</p>}
      <table class="plain kv">
        <tbody>
          <tr>
            <th>Type</th>
            <td>{v.type}</td>
          </tr>
          <tr>
            <th>Size</th>
            <td>
              {bytes(v.size)} in {v.file_count} file{v.file_count === 1 ? "" : "s"}
            </td>
          </tr>
          <tr>
            <th>Created</th>
            <td>{dateTime(v.created_at)}</td>
          </tr>
          <tr>
            <th>Logged by</th>
            <td class="mono">{v.run_id ? <A href={runUrl(v.entity, v.project, v.run_id)}>{v.run_id}</A> : "–"}</td>
          </tr>
          <tr>
            <th>Digest</th>
            <td class="mono">{v.digest}</td>
          </tr>
          <tr>
            <th>Metadata</th>
            <td>
              <Metadata data={v.metadata} />
            </td>
          </tr>
        </tbody>
      </table>
      <h3>Files</h3>
      {files.length ? <FileTree files={files} entity={v.entity} project={v.project} /> : <p class="muted">No files.</p>}
      <h3>Lineage</h3>
      <div class="lineage-box">
        <LineageGraph graph={lineage} focus={focus} />
      </div>
    </div>
  );
}
