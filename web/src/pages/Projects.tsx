// The projects the caller may read, with run counts and last activity; the empty state.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, Project } from "../lib/api";
import { ago } from "../lib/format";
import { navigate, onLink, projectUrl } from "../lib/router";

export function FirstRun({ project }: { project: string }) {
  return (
    <pre class="code" aria-label="Log a first run">
      <code>{`import tracklet\nrun = tracklet.init(project="${project}", config={"lr": 1e-3})\nrun.log({"train/loss": 0.5})`}</code>
    </pre>
  );
}

export function EmptyProject({ entity, project }: { entity: string; project: string }) {
  return (
    <div class="empty pad">
      <h2>
        {entity}/{project} has no runs yet
      </h2>
      <p>Log a first run with three lines of Python:</p>
      <FirstRun project={project} />
    </div>
  );
}

export function Projects() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    (async () => {
      const all: Project[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Project[]; next_cursor: string | null } = await api("/projects", { params: { limit: 1000, cursor } });
        all.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      setProjects(all);
    })().catch((e) => {
      if (e instanceof ApiError && e.status === 401) navigate(`/login?next=/`, true);
      else setError((e as Error).message);
    });
  }, []);
  if (error) return <p class="error pad" role="alert">{error}</p>;
  if (!projects) return <p class="muted pad">Loading projects…</p>;
  if (!projects.length)
    return (
      <div class="empty pad">
        <h2>No projects yet</h2>
        <p>Log a first run with three lines of Python, then reload:</p>
        <FirstRun project="my-first-project" />
      </div>
    );
  return (
    <div class="pad">
      <h2>Projects</h2>
      <table class="plain projects">
        <thead>
          <tr>
            <th>Project</th>
            <th>Entity</th>
            <th class="num">Runs</th>
            <th>Last activity</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={`${p.entity}/${p.name}`}>
              <td>
                <a href={projectUrl(p.entity, p.name)} onClick={(e) => onLink(e, projectUrl(p.entity, p.name))}>
                  {p.name}
                </a>
              </td>
              <td>{p.entity}</td>
              <td class="num">{p.run_count}</td>
              <td title={new Date(p.updated_at * 1000).toLocaleString()}>{ago(p.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
