// Client-side routes over the History API; every view's state lives in its URL.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "projects" }
  | { page: "login"; next: string }
  | { page: "workspace"; entity: string; project: string }
  | { page: "run"; entity: string; project: string; runId: string }
  | { page: "compare"; entity: string; project: string }
  | { page: "artifacts"; entity: string; project: string; name?: string; version?: string }
  | { page: "sweeps"; entity: string; project: string }
  | { page: "missing"; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "projects" };
  if (parts[0] === "login" && parts.length === 1)
    return { page: "login", next: new URLSearchParams(search).get("next") ?? "/" };
  if (parts.length === 2) return { page: "workspace", entity: parts[0], project: parts[1] };
  if (parts.length === 4 && parts[2] === "runs")
    return { page: "run", entity: parts[0], project: parts[1], runId: parts[3] };
  if ((parts.length === 4 || parts.length === 5) && parts[2] === "artifacts")
    return { page: "artifacts", entity: parts[0], project: parts[1], name: parts[3], version: parts[4] };
  if (parts.length === 3) {
    const [entity, project, what] = parts;
    if (what === "compare") return { page: "compare", entity, project };
    if (what === "artifacts") return { page: "artifacts", entity, project };
    if (what === "sweeps") return { page: "sweeps", entity, project };
  }
  return { page: "missing", path: pathname };
}

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((f) => f());
}

/** Change the query string of the current page without a new history entry. */
export function setQuery(params: URLSearchParams): void {
  const s = params.toString();
  const url = location.pathname + (s ? `?${s}` : "");
  if (url !== location.pathname + location.search) navigate(url, true);
}

export function useLocation(): { pathname: string; search: string } {
  const [, tick] = useState(0);
  useEffect(() => {
    const f = () => tick((n) => n + 1);
    listeners.add(f);
    window.addEventListener("popstate", f);
    return () => {
      listeners.delete(f);
      window.removeEventListener("popstate", f);
    };
  }, []);
  return { pathname: location.pathname, search: location.search };
}

/** A link that navigates in the app (new tab / middle click still work). */
export function onLink(e: MouseEvent, url: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(url);
}

export function projectUrl(entity: string, project: string): string {
  return `/${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
}
