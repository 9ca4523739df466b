import { randomBytes, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as statusRoute } from "@/app/api/trusted-sites/[id]/status/route";
import { POST as cancelRoute } from "@/app/api/webhooks/messages/[id]/cancel/route";
import { GET as messageRoute } from "@/app/api/webhooks/messages/[id]/route";
import { GET as queueRoute } from "@/app/api/webhooks/queue/route";
import { auditEvents } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { attemptRows, insertCustomer, insertSite, messageRow, waitFor, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

const RETRY_MS = 200;
let database: RouteTestDatabase;
let worker: LocalWorker;
let token: string;
let customerId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createRouteTestDatabase("ops script");
  token = database.token;
  customerId = await insertCustomer(database.db);
  worker = startLocalWorker({
    ...database,
    box: createSecretBox(randomBytes(32)),
    allowPrivateTargets: "127.0.0.1",
    retryIntervalMs: RETRY_MS,
    claimTtlMs: 3_000,
    purgeEveryMs: 0,
  });
});
afterAll(async () => {
  await worker?.stop(5_000);
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

const request = (path: string, init: RequestInit = {}) =>
  new Request(`http://app.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
const noParams = { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> };

async function setStatus(siteId: string, status: "active" | "inactive") {
  const response = await statusRoute(request(`/api/trusted-sites/${siteId}/status`, { method: "POST", body: JSON.stringify({ status }) }), {
    params: Promise.resolve({ id: siteId }),
  });
  expect(response.status).toBe(200);
}
const cancel = (id: string) => cancelRoute(request(`/api/webhooks/messages/${id}/cancel`, { method: "POST" }), { params: Promise.resolve({ id }) });
const readMessage = async (id: string) => (await messageRoute(request(`/api/webhooks/messages/${id}`), { params: Promise.resolve({ id }) })).json();
const readQueue = async () => (await queueRoute(request("/api/webhooks/queue"), noParams)).json();

async function siteWithReceiver(reply: (n: number) => Reply) {
  const receiver = await startWebhookReceiver((_, n) => reply(n));
  receivers.push(receiver);
  const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, threads: 2 });
  return { siteId, receiver };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("setting a site inactive pauses its messages", () => {
  it("no send starts once the status call has answered, no attempt is used, the Queue says paused; activating delivers it", async () => {
    let healthy = false;
    const { siteId, receiver } = await siteWithReceiver(() => (healthy ? { status: 200 } : { status: 500 }));
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 1 } });
    await waitFor(() => receiver.arrivals.length >= 2, 10_000, "the message to be retrying");

    await setStatus(siteId, "inactive");
    const answeredAt = Date.now();
    // Long enough for ten more attempts at this retry interval (the bug let four more through).
    await sleep(100);
    const attemptsThen = await attemptRows(database.db, id);
    const messageThen = await messageRow(database.db, id);
    await sleep(2_000);

    // A send handed to the HTTP client before the answer may still arrive a moment later; nothing after.
    expect(receiver.arrivals.filter((a) => a.at > answeredAt + 50)).toEqual([]);
    for (const a of attemptsThen) if (a.startedAt) expect(a.startedAt.getTime()).toBeLessThanOrEqual(answeredAt);
    const attemptsNow = await attemptRows(database.db, id);
    expect(attemptsNow).toEqual(attemptsThen);
    const messageNow = await messageRow(database.db, id);
    expect(messageNow).toMatchObject({ status: messageThen.status, attempts: messageThen.attempts, lockedBy: null });
    expect(messageNow.attempts).toBeLessThan(5);
    expect(attemptsNow.at(-1)).toMatchObject({ status: "queued", startedAt: null });

    const queued = (await readQueue()).items.find((m: { id: string }) => m.id === id);
    expect(queued).toMatchObject({ id, paused: true, status: messageNow.status });
    expect(await readMessage(id)).toMatchObject({ id, paused: true, status: messageNow.status, attempts: messageNow.attempts });

    healthy = true;
    const sentBefore = receiver.arrivals.length;
    await setStatus(siteId, "active");
    const activatedAt = Date.now();
    const done = await waitUntilFinished(database.db, id, 5_000);
    // Woken by the activation's notification, not by a timer or a poll.
    expect(Date.now() - activatedAt).toBeLessThan(1_000);
    expect(done).toMatchObject({ status: "done", attempts: messageNow.attempts + 1 });
    expect(receiver.arrivals).toHaveLength(sentBefore + 1);
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual([...attemptsNow.slice(0, -1).map(() => "resent"), "done"]);
    expect(await readMessage(id)).toMatchObject({ paused: false, status: "done" });
  });

  it("a message queued before the site was deactivated is not sent at all until it is activated", async () => {
    const { siteId, receiver } = await siteWithReceiver(() => ({ status: 200 }));
    await worker.stop(5_000);
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await setStatus(siteId, "inactive");
    worker = startLocalWorker({ ...database, box: createSecretBox(randomBytes(32)), allowPrivateTargets: "127.0.0.1", retryIntervalMs: RETRY_MS, purgeEveryMs: 0 });
    await sleep(1_000);
    expect(receiver.arrivals).toHaveLength(0);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "queued", attempts: 0 });

    await setStatus(siteId, "active");
    expect(await waitUntilFinished(database.db, id, 5_000)).toMatchObject({ status: "done", attempts: 1 });
    expect(receiver.arrivals).toHaveLength(1);
  });
});

describe("POST /api/webhooks/messages/{id}/cancel", () => {
  it("cancels a paused message: failed, with who and why on its attempt, audited; 409 while being delivered or once finished; 404 unknown", async () => {
    let healthy = false;
    const { siteId, receiver } = await siteWithReceiver(() => (healthy ? { status: 200 } : { status: 500 }));
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 2 } });
    await waitFor(() => receiver.arrivals.length >= 1, 10_000, "the first send");

    // Being delivered to an active site: not cancellable.
    const refused = await cancel(id);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toMatch(/Only a paused message can be cancelled/);

    await setStatus(siteId, "inactive");
    const before = await messageRow(database.db, id);
    const res = await cancel(id);
    expect(res.status).toBe(200);
    const reason = 'Cancelled by API token "ops script" while the site was inactive';
    expect(await res.json()).toEqual({ id, status: "failed", error: reason });

    const message = await messageRow(database.db, id);
    expect(message).toMatchObject({ status: "failed", attempts: before.attempts, nextAttemptAt: null, lockedBy: null });
    expect(message.finishedAt).not.toBeNull();
    const attempts = await attemptRows(database.db, id);
    expect(attempts.at(-1)).toMatchObject({ status: "failed", error: reason });
    expect(attempts.at(-1)!.finishedAt).not.toBeNull();
    expect((await readMessage(id)).attemptLog.at(-1)).toMatchObject({ status: "failed", error: reason });
    const events = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "message.cancelled"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'API token "ops script"', siteId, details: { messageId: id, attemptNo: attempts.at(-1)!.attemptNo } });

    // Finished now: activating the site sends nothing, and a second cancel is refused.
    const sent = receiver.arrivals.length;
    healthy = true;
    await setStatus(siteId, "active");
    await sleep(500);
    expect(receiver.arrivals).toHaveLength(sent);
    const again = await cancel(id);
    expect(again.status).toBe(409);
    expect((await again.json()).error).toMatch(/already failed/);

    expect((await cancel(randomUUID())).status).toBe(404);
    expect((await cancel("not-a-uuid")).status).toBe(404);
  });
});
