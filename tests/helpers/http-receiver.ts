import http from "node:http";
import type { AddressInfo } from "node:net";
import type { OutgoingRequest } from "@/lib/auth-methods/types";

/** A request as a receiver on the wire sees it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, as on the request line. */
  path: string;
  /** Lower-case names, repeated headers joined. */
  headers: Record<string, string>;
  /** Name/value pairs in the order received, original case. */
  rawHeaders: [string, string][];
  body: string;
}

export interface ReceiverDecision {
  accepted: boolean;
  /** Why it was rejected, or who was accepted. */
  reason: string;
}

export interface Receiver {
  url: string;
  /** Every decision made, in order. */
  decisions: { request: ReceivedRequest; decision: ReceiverDecision }[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (random port) that answers 200 or 401 as `decide` says. */
export async function startReceiver(
  decide: (request: ReceivedRequest) => ReceiverDecision | Promise<ReceiverDecision>,
): Promise<Receiver> {
  const decisions: Receiver["decisions"] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawHeaders: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const request: ReceivedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
      ),
      rawHeaders,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    const decision = await Promise.resolve()
      .then(() => decide(request))
      .catch((error: Error) => ({ accepted: false, reason: `receiver error: ${error.message}` }));
    decisions.push({ request, decision });
    res.writeHead(decision.accepted ? 200 : 401, { "content-type": "text/plain" }).end(decision.reason);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    decisions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Sends an authorized request as the delivery core would. */
export function deliver(request: OutgoingRequest): Promise<Response> {
  return fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(5_000),
  });
}
