import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { startTestApp, type TestApp } from "../helpers/test-app";
import { insertCustomer, insertSite, waitFor } from "../helpers/delivery-fixtures";
import { parseSamples, sampleValue } from "../helpers/prometheus-text";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

// The built server: the worker runs from instrumentation.ts, in another bundle than the route.
let app: TestApp;
let receiver: WebhookReceiver;
let collector: WebhookReceiver;
let token: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => ({ status: 200 }));
  collector = await startWebhookReceiver(() => ({ status: 200, headers: { "content-type": "application/json" }, body: "{}" }));
  app = await startTestApp({
    APP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.1",
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_BSP_SCHEDULE_DELAY: "100",
  });
  token = (await createApiToken(app.database.db, { name: "prometheus" }, null)).token;
});
afterAll(async () => {
  await app?.close();
  await Promise.all([receiver?.close(), collector?.close()]);
});

describe("metrics and traces in the built server", () => {
  it("the route sees the in-server worker's counts, and the attempt's span reaches the OTLP endpoint", async () => {
    const scrape = () => fetch(`${app.server.url}/api/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect((await fetch(`${app.server.url}/api/metrics`)).status).toBe(401);
    const siteId = await insertSite(app.database.db, { url: `${receiver.url}/hooks` });
    const customerId = await insertCustomer(app.database.db);
    const sent = await fetch(`${app.server.url}/api/webhooks/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ siteId, customerId, action: "points.earned", payload: { points: 3 } }),
    });
    expect(sent.status).toBe(202);
    const { id } = await sent.json();

    const attempts = await waitFor(async () => {
      const res = await scrape();
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      return sampleValue(parseSamples(await res.text()), "webhook_attempts_total", { site_id: siteId, outcome: "success" });
    }, 15_000, "the attempt in the metrics");
    expect(attempts).toBe(1);

    const exported = await waitFor(() => collector.arrivals.find((a) => a.path === "/v1/traces" && a.body.includes(id)), 15_000, "the span");
    expect(exported.body).toContain('"url.full"');
    expect(app.server.output()).not.toMatch(/error/i);
  });
});
