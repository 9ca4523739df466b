import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { openDatabase } from "@/lib/db/client";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded-postgres";
import { migrateDatabase } from "@/lib/db/migrate";
import { freePort, signInCookie, startWebServer, type WebServer } from "../helpers/web-server";

// The app's own PostgreSQL, stopped and started again on the same port while the server runs.
let dir: string;
let port: number;
let postgres: EmbeddedDatabase;
let server: WebServer;
let token: string;
let cookie: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-outage-pg-"));
  port = await freePort();
  postgres = await startEmbeddedPostgres(dir, () => {}, { port });
  await migrateDatabase(postgres.url);
  server = await startWebServer({ DATABASE_URL: postgres.url, SKIP_MIGRATIONS: "true" });
  const handle = openDatabase(postgres.url, { max: 1 });
  token = (await createApiToken(handle.db, { name: "outage" }, null)).token;
  await handle.close();
  cookie = await signInCookie(server.url);
});
afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const api = (p: string) => fetch(server.url + p, { headers: { authorization: `Bearer ${token}` } });
const page = async (p: string) => {
  const response = await fetch(server.url + p, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, body: await response.text() };
};

describe("while PostgreSQL is down", () => {
  it("API routes answer 503 with Retry-After, pages say the database is unavailable, and both recover", async () => {
    expect((await api("/api/trusted-sites")).status).toBe(200);
    expect((await page("/trusted-sites")).body).toContain("Add new site");

    await postgres.stop();
    for (const route of ["/api/trusted-sites", "/api/webhooks/logs", "/api/webhooks/queue"]) {
      const response = await api(route);
      expect(response.status, route).toBe(503);
      expect(response.headers.get("retry-after"), route).toBe("5");
      expect((await response.json()).code).toBe("database_unavailable");
    }
    // A request whose data would be in the SQL parameters of the failed query: it stays out of the log.
    const queued = await fetch(server.url + "/api/webhooks/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ siteId: "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70", customerId: "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f71", action: "outage-marker-action", payload: { note: "outage-marker-payload" } }),
    });
    expect(queued.status).toBe(503);
    for (const p of ["/trusted-sites", "/webhooks/logs", "/customers"]) {
      const { status, body } = await page(p);
      expect(status, p).toBe(200);
      expect(body, p).toContain("Database unavailable");
      expect(body, p).not.toContain("This page could not be loaded");
    }

    postgres = await startEmbeddedPostgres(dir, () => {}, { port });
    const deadline = Date.now() + 15_000;
    while ((await api("/api/trusted-sites")).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await api("/api/trusted-sites")).status).toBe(200);
    expect((await page("/trusted-sites")).body).toContain("Add new site");
    expect(server.output()).not.toMatch(/^error [0-9a-f]{12} in /m);
    expect(server.output()).not.toMatch(/Failed query|select |params:|outage-marker/);
  }, 60_000);
});
