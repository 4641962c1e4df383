// New points of running runs over server-sent events (/api/v1/live).
import { API, num, query, shareToken } from "./api";

export interface LivePoints {
  run: string;
  key: string;
  steps: number[];
  values: number[];
  timestamps: number[];
}

/** Subscribe; returns the function that closes the stream. EventSource reconnects by itself. */
export function subscribe(runs: string[], keys: string[], onPoints: (p: LivePoints) => void, onState: (run: string, state: string) => void): () => void {
  if (!runs.length || !keys.length) return () => {};
  const share = shareToken();
  // the server takes at most 100 runs, 50 keys and 1,000 run x key pairs per stream
  const few = runs.slice(0, 100);
  const src = new EventSource(API + "/live" + query({ runs: few, keys: keys.slice(0, Math.max(1, Math.min(50, Math.floor(1000 / few.length)))), share }));
  src.addEventListener("points", (e) => {
    const d = JSON.parse((e as MessageEvent).data);
    onPoints({ run: d.run, key: d.key, steps: d.steps, values: d.values.map(num), timestamps: d.timestamps.map(num) });
  });
  src.addEventListener("state", (e) => {
    const d = JSON.parse((e as MessageEvent).data);
    onState(d.run, d.state);
  });
  return () => src.close();
}
