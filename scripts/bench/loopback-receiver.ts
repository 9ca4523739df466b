import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Epoch ms with the sub-millisecond part (Date.now() truncates): at a p99 of 5 ms, whole milliseconds
 * alone move a ratio by 20 %. Within one process; across processes it agrees with Date.now() to well
 * under a millisecond.
 */
export const preciseNow = () => performance.timeOrigin + performance.now();

/** A duration to a tenth of a ms, as the bench prints preciseNow()'s differences. */
export const tenth = (ms: number) => Math.round(ms * 10) / 10;

/** A receiver on 127.0.0.1 that answers 200 at once and stamps each arrival (preciseNow(), epoch ms like Date.now()). */
export interface LoopbackReceiver {
  url: string;
  /** Arrival times per path: each bench phase posts to its own path. */
  arrivals(path: string): number[];
  /** Webhook-Id headers seen per path. */
  ids(path: string): string[];
  close(): Promise<void>;
}

export async function startLoopbackReceiver(): Promise<LoopbackReceiver> {
  const times = new Map<string, number[]>();
  const ids = new Map<string, string[]>();
  const server = http.createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      const path = req.url ?? "/";
      const at = preciseNow();
      (times.get(path) ?? times.set(path, []).get(path)!).push(at);
      const id = req.headers["webhook-id"];
      if (typeof id === "string") (ids.get(path) ?? ids.set(path, []).get(path)!).push(id);
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" }).end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals: (path) => times.get(path) ?? [],
    ids: (path) => ids.get(path) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
