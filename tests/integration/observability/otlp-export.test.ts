import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { readEnv } from "@/lib/env";
import { startTracing, type Tracing } from "@/lib/observability/start-tracing";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, waitFor, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

// One process registers one tracer provider, so this file has its own (see attempt-spans.test.ts).
let collector: WebhookReceiver;
let receiver: WebhookReceiver;
let tracing: Tracing | null;
let database: TestDatabase;
let worker: LocalWorker;

beforeAll(async () => {
  collector = await startWebhookReceiver(() => ({ status: 200, headers: { "content-type": "application/json" }, body: "{}" }));
  receiver = await startWebhookReceiver(() => ({ status: 202 }));
  database = await createTestDatabase();
  worker = startLocalWorker({ ...database, box: createSecretBox(randomBytes(32)), allowPrivateTargets: "127.0.0.1", purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await tracing?.shutdown();
  await Promise.all([collector?.close(), receiver?.close()]);
  await database?.drop();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
});

it("without OTEL_EXPORTER_OTLP_ENDPOINT no SDK is registered; with it, attempts' spans reach the OTLP endpoint", async () => {
  expect(startTracing(readEnv({}))).toBeNull();

  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
  tracing = startTracing(readEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: "webhooks-otlp" }));
  expect(tracing).not.toBeNull();
  const siteId = await insertSite(database.db, { url: `${receiver.url}/in` });
  const { id } = await enqueue(database.db, { siteId, customerId: await insertCustomer(database.db), action: "a", payload: {} });
  await waitUntilFinished(database.db, id);
  await tracing!.forceFlush();

  const exported = await waitFor(() => collector.arrivals.find((a) => a.body.includes(id)), 5_000, "the span at the collector");
  expect(exported.method).toBe("POST");
  expect(exported.path).toBe("/v1/traces");
  const body = JSON.parse(exported.body);
  const resource = body.resourceSpans[0].resource.attributes;
  expect(resource).toContainEqual({ key: "service.name", value: { stringValue: "webhooks-otlp" } });
  const span = body.resourceSpans.flatMap((r: { scopeSpans: { spans: unknown[] }[] }) => r.scopeSpans.flatMap((s) => s.spans))[0];
  expect(span.name).toBe("POST");
  expect(span.attributes).toEqual(
    expect.arrayContaining([
      { key: "url.full", value: { stringValue: `${receiver.url}/in` } },
      { key: "http.response.status_code", value: { intValue: 202 } },
    ]),
  );
});
