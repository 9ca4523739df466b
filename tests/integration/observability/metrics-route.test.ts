import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getMetrics } from "@/app/api/metrics/route";
import { trustedSites, webhookMessages } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { serveMetrics } from "@/lib/observability/serve-metrics";
import { createSecretBox } from "@/lib/secrets";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { parseSamples, sampleValue } from "../../helpers/prometheus-text";
import { startWebhookReceiver, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

const box = createSecretBox(randomBytes(32));
let database: RouteTestDatabase;
let worker: LocalWorker | undefined;
let token: string;
let customerId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createRouteTestDatabase("prometheus");
  token = database.token;
  customerId = await insertCustomer(database.db);
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 200, claimTtlMs: 5_000, purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

const noParams = { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> };
const scrape = (headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  getMetrics(new Request("http://app.test/api/metrics", { headers }), noParams);

async function samples() {
  const res = await scrape();
  expect(res.status).toBe(200);
  return parseSamples(await res.text());
}

async function receiver(reply: (n: number) => Reply) {
  const r = await startWebhookReceiver((_, n) => reply(n));
  receivers.push(r);
  return r;
}

async function siteName(id: string) {
  const [row] = await database.db.select({ name: trustedSites.name }).from(trustedSites).where(eq(trustedSites.id, id));
  return row!.name;
}

describe("GET /api/metrics", () => {
  it("401 without an API token, and with a wrong one", async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: "Bearer tsw_not-a-token" })).status).toBe(401);
  });

  it("answers the Prometheus text format with every metric named, before anything happened", async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      "webhook_attempts_total",
      "webhook_attempt_duration_seconds",
      "webhook_queue_depth",
      "webhook_queue_due_lag_seconds",
      "webhook_token_fetches_total",
      "webhook_token_fetch_failures_total",
      "workflow_runs_started_total",
      "workflow_runs_completed_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it("a worker without pages serves the same text on its own port (npm run worker with WORKER_METRICS_PORT)", async () => {
    const server = await serveMetrics(database.db, 0);
    try {
      const url = `http://127.0.0.1:${server.port}/api/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer tsw_wrong" } })).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toContain("# TYPE webhook_queue_depth gauge");
    } finally {
      await server.close();
    }
  });

  it("counts attempts by site and outcome, with their durations, as deliveries happen", async () => {
    const r = await receiver((n) => ({ status: n === 1 ? 503 : 200, delayMs: 20 }));
    const siteId = await insertSite(database.db, { url: r.url, box });
    const site = { site_id: siteId, site_name: await siteName(siteId) };
    const before = await samples();
    expect(sampleValue(before, "webhook_attempts_total", site)).toBe(0);

    const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { points: 1 } });
    await waitUntilFinished(database.db, id);

    const after = await samples();
    expect(sampleValue(after, "webhook_attempts_total", { ...site, outcome: "http_error" })).toBe(1);
    expect(sampleValue(after, "webhook_attempts_total", { ...site, outcome: "success" })).toBe(1);
    expect(sampleValue(after, "webhook_attempt_duration_seconds_count", site)).toBe(2);
    expect(sampleValue(after, "webhook_attempt_duration_seconds_sum", site)).toBeGreaterThanOrEqual(0.04);
    // Both answers took at least 20 ms: none falls in the 10 ms bucket, both in the 1 s one.
    expect(sampleValue(after, "webhook_attempt_duration_seconds_bucket", { ...site, le: "0.01" })).toBe(0);
    expect(sampleValue(after, "webhook_attempt_duration_seconds_bucket", { ...site, le: "1" })).toBe(2);
    // No customer or message in any label.
    const labelValues = after.flatMap((s) => Object.values(s.labels));
    expect(labelValues).not.toContain(id);
    expect(labelValues).not.toContain(customerId);
  });

  it("names the kind of failure: a timeout, a closed port, a refused address", async () => {
    const hanging = await receiver(() => "hang");
    const slowSite = await insertSite(database.db, { url: hanging.url, box, timeoutMs: 100 });
    const closedSite = await insertSite(database.db, { url: "http://127.0.0.1:1/", box });
    const refusedSite = await insertSite(database.db, { url: "http://10.255.255.1/", box });
    for (const siteId of [slowSite, closedSite, refusedSite]) {
      await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    }
    const outcomes = [
      [slowSite, "timeout"],
      [closedSite, "connection_error"],
      [refusedSite, "refused_target"],
    ] as const;
    for (const [siteId, outcome] of outcomes) {
      const site = { site_id: siteId, site_name: await siteName(siteId) };
      let value = 0;
      for (let tries = 0; tries < 100 && value === 0; tries++) {
        value = sampleValue(await samples(), "webhook_attempts_total", { ...site, outcome });
        if (value === 0) await new Promise((res) => setTimeout(res, 50));
      }
      expect(value, outcome).toBeGreaterThan(0);
    }
  });

  it("counts token fetches and their failures per site", async () => {
    const tokenServer = await receiver((n) =>
      n === 1
        ? { status: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: "invalid_client" }) }
        : { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ access_token: `t-${n}`, token_type: "Bearer", expires_in: 3600 }) },
    );
    const api = await receiver(() => ({ status: 200 }));
    const siteId = await insertSite(database.db, {
      url: api.url,
      box,
      authMethod: "oauth2-client-credentials",
      authParams: { tokenUrl: `${tokenServer.url}/token`, contentType: "application/x-www-form-urlencoded", tokenExpiration: 60, clientId: "app", clientSecret: "s3cret-value" },
    });
    const site = { site_id: siteId, site_name: await siteName(siteId) };
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await waitUntilFinished(database.db, id);

    const after = await samples();
    expect(sampleValue(after, "webhook_token_fetches_total", site)).toBe(2);
    expect(sampleValue(after, "webhook_token_fetch_failures_total", site)).toBe(1);
    expect(sampleValue(after, "webhook_attempts_total", { ...site, outcome: "authorization_error" })).toBe(1);
    expect(sampleValue(after, "webhook_attempts_total", { ...site, outcome: "success" })).toBe(1);
  });

  it("reads queue depth and due lag per site from PostgreSQL at scrape time", async () => {
    await worker?.stop();
    worker = undefined;
    const waiting = await insertSite(database.db, { url: "http://127.0.0.1:1/", box });
    const paused = await insertSite(database.db, { url: "http://127.0.0.1:1/", box });
    const idle = await insertSite(database.db, { url: "http://127.0.0.1:1/", box });
    for (let i = 0; i < 3; i++) await enqueue(database.db, { siteId: waiting, customerId, action: "a", payload: { i } });
    await enqueue(database.db, { siteId: paused, customerId, action: "a", payload: {} });
    await database.db.update(trustedSites).set({ status: "inactive" }).where(eq(trustedSites.id, paused));
    await database.db.update(webhookMessages).set({ nextAttemptAt: sql`now() - interval '30 seconds'` }).where(eq(webhookMessages.siteId, paused));
    // The oldest of the waiting site's messages fell due 30 s ago.
    const [oldest] = await database.db.select({ id: webhookMessages.id }).from(webhookMessages).where(eq(webhookMessages.siteId, waiting)).limit(1);
    await database.db.update(webhookMessages).set({ nextAttemptAt: sql`now() - interval '30 seconds'` }).where(eq(webhookMessages.id, oldest!.id));

    const label = async (id: string) => ({ site_id: id, site_name: await siteName(id) });
    const now = await samples();
    expect(sampleValue(now, "webhook_queue_depth", await label(waiting))).toBe(3);
    expect(sampleValue(now, "webhook_queue_depth", await label(paused))).toBe(1);
    expect(sampleValue(now, "webhook_queue_depth", await label(idle))).toBe(0);
    const lag = sampleValue(now, "webhook_queue_due_lag_seconds", await label(waiting));
    expect(lag).toBeGreaterThanOrEqual(30);
    expect(lag).toBeLessThan(60);
    // A paused site's messages wait on purpose; a site with nothing due has no lag.
    expect(sampleValue(now, "webhook_queue_due_lag_seconds", await label(paused))).toBe(0);
    expect(sampleValue(now, "webhook_queue_due_lag_seconds", await label(idle))).toBe(0);

    // A deleted site's series go away.
    await database.db.delete(trustedSites).where(eq(trustedSites.id, waiting));
    const later = await samples();
    expect(later.filter((s) => s.labels.site_id === waiting && s.name.startsWith("webhook_queue_"))).toEqual([]);
  });
});
