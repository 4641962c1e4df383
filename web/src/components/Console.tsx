// A run's console output: virtualised, searchable (on the server), and tailing a running run.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ConsoleLine } from "../lib/api";

const LINE = 18;
const PAGE = 1000;

export function Console({ path, running }: { path: string; running: boolean }) {
  const [lines, setLines] = useState<ConsoleLine[]>([]);
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState("");
  const [top, setTop] = useState(0);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let stop = false;
    let timer = 0;
    let acc: ConsoleLine[] = [];
    let offset = 0;
    setLines([]);
    const pull = async () => {
      for (;;) {
        const page: { items: ConsoleLine[]; next_offset: number | null } = await api(`/runs/${path}/console`, { params: { offset, limit: PAGE, search: applied || null } });
        if (stop) return;
        if (page.items.length) {
          acc = acc.concat(page.items);
          offset = page.items[page.items.length - 1].line_no + 1;
          setLines(acc);
        }
        if (page.next_offset === null) break;
      }
      if (running && !stop) timer = window.setTimeout(() => pull().catch(() => {}), 1000);
    };
    pull().catch(() => {});
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [path, applied, running]);

  useEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  const height = 400;
  const first = Math.max(0, Math.floor(top / LINE) - 20);
  const last = Math.min(lines.length, Math.ceil((top + height) / LINE) + 20);
  return (
    <div class="console">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(search);
        }}
      >
        <input type="search" placeholder="Search the console" aria-label="Search the console" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
        <label class="inline">
          <input type="checkbox" checked={follow} onChange={() => setFollow(!follow)} /> Follow the end
        </label>
        <span class="muted">{lines.length} lines{running ? " · live" : ""}</span>
      </form>
      <div
        class="console-lines"
        ref={box}
        style={{ height: `${height}px` }}
        tabIndex={0}
        aria-label="Console output"
        onScroll={(e) => {
          const el = e.currentTarget as HTMLDivElement;
          setTop(el.scrollTop);
          setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - LINE);
        }}
      >
        <div style={{ height: `${lines.length * LINE}px`, position: "relative" }}>
          {lines.slice(first, last).map((l, i) => (
            <div class={`console-line ${l.stream}`} key={l.line_no} style={{ top: `${(first + i) * LINE}px` }}>
              <span class="line-no">{l.line_no}</span>
              {l.text}
            </div>
          ))}
        </div>
        {!lines.length && <p class="muted pad">{applied ? "No line matches." : "No console output."}</p>}
      </div>
    </div>
  );
}
