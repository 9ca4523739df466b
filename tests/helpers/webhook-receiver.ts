import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the receiver saw it, stamped when its body had arrived. */
export interface Arrival {
  /** Date.now() on arrival (one clock for every sender, including child processes). */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** How to answer: a status (after an optional delay), or never (a hanging receiver). */
export type Reply = { status: number; body?: string; delayMs?: number; headers?: Record<string, string> } | "hang";

export interface WebhookReceiver {
  url: string;
  arrivals: Arrival[];
  /** The most requests that were open at once. */
  maxOpen(): number;
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that answers each request as `reply` says (n counts from 1). */
export async function startWebhookReceiver(reply: (arrival: Arrival, n: number) => Reply): Promise<WebhookReceiver> {
  const arrivals: Arrival[] = [];
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer(async (req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      open--;
    };
    res.once("close", done);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const arrival: Arrival = {
      at: Date.now(),
      method: req.method ?? "",
      path: req.url ?? "",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
      body: Buffer.concat(chunks).toString("utf8"),
    };
    arrivals.push(arrival);
    const answer = reply(arrival, arrivals.length);
    if (answer === "hang") return;
    const send = () => {
      if (res.destroyed) return done();
      res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers }).end(answer.body ?? `status ${answer.status}`);
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    maxOpen: () => maxOpen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The most arrivals in any half-open window [t, t + windowMs), over every arrival time t. */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}
