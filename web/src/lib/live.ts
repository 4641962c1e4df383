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
  const src = new EventSource(API + "/live" + query({ runs, keys: keys.slice(0, 50), share }));
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
