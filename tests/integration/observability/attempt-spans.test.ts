import { randomBytes } from "node:crypto";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { startTracing, type Tracing } from "@/lib/observability/start-tracing";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { closedPort } from "../../helpers/ports";
import { startWebhookReceiver, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

const box = createSecretBox(randomBytes(32));
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let database: TestDatabase;
let worker: LocalWorker;
let customerId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  // The real SDK registration, with an in-memory exporter instead of OTLP.
  tracing = startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: "webhooks-under-test" }, exporter)!;
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 100, claimTtlMs: 5_000, purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
  await tracing?.shutdown();
});

async function receiver(reply: (n: number) => Reply) {
  const r = await startWebhookReceiver((_, n) => reply(n));
  receivers.push(r);
  return r;
}

async function deliver(url: string, site: Partial<Parameters<typeof insertSite>[1]> = {}, payload: unknown = { points: 7 }) {
  const siteId = await insertSite(database.db, { url, box, ...site });
  const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload });
  await waitUntilFinished(database.db, id);
  await tracing.forceFlush();
  const spans = exporter.getFinishedSpans().filter((s) => s.attributes["webhook.message.id"] === id);
  return { siteId, id, spans: spans.sort((a, b) => Number(a.attributes["http.request.resend_count"]) - Number(b.attributes["http.request.resend_count"])) };
}

const ms = (span: ReadableSpan, which: "startTime" | "endTime") => span[which][0] * 1000 + span[which][1] / 1e6;

describe("a client span per attempt (OpenTelemetry HTTP semantic conventions)", () => {
  it("500 then 200: two spans with method, redacted URL, server, status, resend count and error type", async () => {
    const r = await receiver((n) => ({ status: n === 1 ? 500 : 200, delayMs: 40 }));
    const query = "keep=a%20b&X-Amz-Credential=AKIDEXAMPLE%2F20261201&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=FQoGZX";
    const { siteId, id, spans } = await deliver(`${r.url}/hooks?${query}`);
    expect(spans).toHaveLength(2);
    const port = Number(new URL(r.url).port);
    const [first, second] = spans as [ReadableSpan, ReadableSpan];
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.name).toBe("POST");
      expect(span.attributes).toMatchObject({
        "http.request.method": "POST",
        "url.full": `${r.url}/hooks?keep=a%20b&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED`,
        "server.address": "127.0.0.1",
        "server.port": port,
        "webhook.site.id": siteId,
        "webhook.message.id": id,
      });
      expect(span.resource.attributes["service.name"]).toBe("webhooks-under-test");
      // The span covers the exchange (the receiver took 40 ms), not the pacing before it.
      expect(ms(span, "endTime") - ms(span, "startTime")).toBeGreaterThanOrEqual(39);
      expect(ms(span, "endTime") - ms(span, "startTime")).toBeLessThan(1_000);
    }
    expect(first.attributes).toMatchObject({ "http.request.resend_count": 0, "http.response.status_code": 500, "error.type": "500" });
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(second.attributes).toMatchObject({ "http.request.resend_count": 1, "http.response.status_code": 200 });
    expect(second.attributes["error.type"]).toBeUndefined();
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    // Each span starts when its request went out.
    expect(Math.abs(ms(second, "startTime") - r.arrivals[1]!.at)).toBeLessThan(200);
  });

  it("carries no credential, header or payload: a Basic site's password appears nowhere", async () => {
    const r = await receiver(() => ({ status: 200 }));
    const password = "pa55-word-in-span?";
    const { spans } = await deliver(r.url, { authMethod: "basic", authParams: { username: "shop", password } }, { secretPoints: "payload-marker" });
    expect(spans).toHaveLength(1);
    const dump = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(Buffer.from(`shop:${password}`).toString("base64"));
    expect(dump).not.toContain("payload-marker");
    expect(dump).not.toMatch(/authorization|webhook-id|user-agent/i);
  });

  it("a refused connection and a timeout: error.type names the failure, no status code", async () => {
    const port = await closedPort();
    const closed = await deliver(`http://127.0.0.1:${port}/`);
    expect(closed.spans).toHaveLength(5);
    for (const [i, span] of closed.spans.entries()) {
      expect(span.attributes).toMatchObject({ "error.type": "connection_error", "http.request.resend_count": i, "server.port": port });
      expect(span.attributes["http.response.status_code"]).toBeUndefined();
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    const hanging = await receiver((n) => (n === 1 ? "hang" : { status: 204 }));
    const slow = await deliver(hanging.url, { timeoutMs: 150 });
    expect(slow.spans.map((s) => s.attributes["error.type"] ?? null)).toEqual(["timeout", null]);
    expect(ms(slow.spans[0]!, "endTime") - ms(slow.spans[0]!, "startTime")).toBeGreaterThanOrEqual(145);
  });
});
