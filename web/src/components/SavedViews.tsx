// Saved views: the panel layout of a project, kept on the server (/api/v1/views).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, enc } from "../lib/api";
import { Panel } from "./Panels";

interface View {
  name: string;
  spec: { panels?: Panel[] };
}

export function SavedViews(p: { entity: string; project: string; panels: Panel[]; keys: string[]; onPanels: (ps: Panel[]) => void; onLoad: (spec: { panels: Panel[] } | null) => void }) {
  const [views, setViews] = useState<View[]>([]);
  const [current, setCurrent] = useState("default");
  const [note, setNote] = useState("");
  const base = `/views/${enc(p.entity)}/${enc(p.project)}`;
  useEffect(() => {
    api<{ items: View[] }>(base)
      .then((r) => {
        setViews(r.items);
        const first = r.items.find((v) => v.name === "default");
        if (first?.spec.panels && !new URLSearchParams(location.search).has("panels")) p.onLoad({ panels: first.spec.panels });
      })
      .catch(() => setViews([]));
  }, [base]);

  const save = async (name: string) => {
    try {
      const saved = await api<View>(`${base}/${enc(name)}`, { method: "PUT", body: { spec: { panels: p.panels } } });
      setViews((vs) => [...vs.filter((v) => v.name !== name), saved].sort((a, b) => a.name.localeCompare(b.name)));
      setCurrent(name);
      setNote(`Saved view “${name}”.`);
    } catch (e) {
      setNote(e instanceof ApiError && (e.status === 401 || e.status === 403) ? "Read-only here: log in with write access to save views." : `Not saved: ${(e as Error).message}`);
    }
  };
  const remove = async () => {
    try {
      await api(`${base}/${enc(current)}`, { method: "DELETE" });
      setViews((vs) => vs.filter((v) => v.name !== current));
      setNote(`Deleted view “${current}”.`);
      p.onLoad(null);
    } catch (e) {
      setNote(`Not deleted: ${(e as Error).message}`);
    }
  };
  const missing = p.keys.filter((k) => !p.panels.some((x) => x.key === k));
  return (
    <span class="saved-views">
      <select
        aria-label="Add panel"
        value=""
        onChange={(e) => {
          const key = (e.target as HTMLSelectElement).value;
          if (key) p.onPanels([...p.panels, { key, size: 1 }]);
        }}
      >
        <option value="">+ Add panel</option>
        {missing.map((k) => (
          <option value={k} key={k}>
            {k}
          </option>
        ))}
      </select>
      <select
        aria-label="Saved view"
        value={current}
        onChange={(e) => {
          const name = (e.target as HTMLSelectElement).value;
          setCurrent(name);
          const v = views.find((x) => x.name === name);
          p.onLoad(v?.spec.panels ? { panels: v.spec.panels } : null);
        }}
      >
        {!views.some((v) => v.name === current) && <option value={current}>{current} (unsaved)</option>}
        {views.map((v) => (
          <option value={v.name} key={v.name}>
            {v.name}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => save(current)}>
        Save view
      </button>
      <button
        type="button"
        onClick={() => {
          const name = prompt("Name of the new view")?.trim();
          if (name) save(name);
        }}
      >
        Save as…
      </button>
      {views.some((v) => v.name === current) && (
        <button type="button" onClick={remove}>
          Delete view
        </button>
      )}
      {note && (
        <span class="muted" role="status">
          {note}
        </span>
      )}
    </span>
  );
}
