import http from "node:http";
import type { AddressInfo } from "node:net";
import { verifyApiToken } from "../api-tokens/manage-api-tokens";
import type { Database } from "../db";
import { readMetrics } from "./read-metrics";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The metrics endpoint for a process that serves no pages (`npm run worker`): `GET /api/metrics`
 * on its own port, with the same API-token check and the same text as the web server's route.
 */
export async function serveMetrics(db: Database, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    answer(db, req).then(
      ({ status, type, body }) => res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body),
      () => res.writeHead(503, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function answer(db: Database, req: http.IncomingMessage) {
  const path = (req.url ?? "").split("?")[0];
  if (req.method !== "GET" || path !== "/api/metrics") return { status: 404, type: "text/plain", body: "not found\n" };
  const bearer = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!bearer || !(await verifyApiToken(db, bearer))) return { status: 401, type: "text/plain", body: "an API token is required\n" };
  const { contentType, text } = await readMetrics(db);
  return { status: 200, type: contentType, body: text };
}
