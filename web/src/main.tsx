// The app shell: navigation, theme, who is logged in, and the page for the URL.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { api, Me, setCsrf } from "./lib/api";
import { navigate, onLink, parseRoute, projectUrl, useLocation } from "./lib/router";
import { ArtifactVersion } from "./pages/ArtifactVersion";
import { Collections, Versions } from "./pages/Artifacts";
import { Compare } from "./pages/Compare";
import { Login } from "./pages/Login";
import { Projects } from "./pages/Projects";
import { RunPage } from "./pages/RunPage";
import { Workspace } from "./pages/Workspace";

function Link({ href, children, current }: { href: string; children: preact.ComponentChildren; current?: boolean }) {
  return (
    <a href={href} aria-current={current ? "page" : undefined} onClick={(e) => onLink(e, href)}>
      {children}
    </a>
  );
}

function App() {
  const { pathname, search } = useLocation();
  const route = parseRoute(pathname, search);
  const [me, setMe] = useState<Me | null>(null);
  const [meTick, setMeTick] = useState(0);
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? "light");
  useEffect(() => {
    api<Me>("/auth/me").then(setMe, () => setMe(null));
  }, [meTick]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("tracklet.theme", theme);
  }, [theme]);
  const logout = async () => {
    await api("/auth/logout", { method: "POST" }).catch(() => {});
    setCsrf(null);
    setMe(null);
    navigate("/login");
  };
  const inProject = "entity" in route ? route : null;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/">
          <b class="logo">Tracklet</b>
        </Link>
        {inProject && (
          <nav aria-label="Project">
            <Link href={projectUrl(inProject.entity, inProject.project)} current={route.page === "workspace"}>
              {inProject.entity}/{inProject.project}
            </Link>
            <Link href={`${projectUrl(inProject.entity, inProject.project)}/compare`} current={route.page === "compare"}>
              Compare
            </Link>
            <Link href={`${projectUrl(inProject.entity, inProject.project)}/artifacts`} current={route.page === "artifacts"}>
              Artifacts
            </Link>
            <Link href={`${projectUrl(inProject.entity, inProject.project)}/sweeps`} current={route.page === "sweeps"}>
              Sweeps
            </Link>
          </nav>
        )}
        <span class="spacer" />
        <button type="button" class="link" aria-label="Switch between light and dark theme" onClick={() => {
            const next = theme === "dark" ? "light" : "dark";
            document.documentElement.dataset.theme = next; // before the charts re-render
            setTheme(next);
          }}>
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
        {me ? (
          <>
            <span class="muted" data-testid="whoami">
              {me.username ?? "admin key"}
            </span>
            <button type="button" class="link" onClick={logout}>
              Log out
            </button>
          </>
        ) : (
          route.page !== "login" && <Link href={`/login?next=${encodeURIComponent(pathname + search)}`}>Log in</Link>
        )}
      </header>
      <main id="main">
        {route.page === "projects" && <Projects />}
        {route.page === "login" && <Login next={route.next} onLogin={() => setMeTick((n) => n + 1)} />}
        {route.page === "workspace" && <Workspace key={`${route.entity}/${route.project}`} entity={route.entity} project={route.project} search={search} />}
        {route.page === "run" && <RunPage entity={route.entity} project={route.project} runId={route.runId} search={search} />}
        {route.page === "compare" && <Compare entity={route.entity} project={route.project} search={search} />}
        {route.page === "artifacts" && !route.name && <Collections entity={route.entity} project={route.project} search={search} />}
        {route.page === "artifacts" && route.name && !route.version && <Versions entity={route.entity} project={route.project} name={route.name} />}
        {route.page === "artifacts" && route.name && route.version && <ArtifactVersion entity={route.entity} project={route.project} name={route.name} alias={route.version} />}
        {route.page === "sweeps" && (
          <div class="pad empty">
            <h2>Sweeps</h2>
            <p class="muted">Nothing here yet for {route.entity}/{route.project}.</p>
          </div>
        )}
        {route.page === "missing" && <p class="pad">No page at {route.path}.</p>}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
