import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, waitFor, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";
import { startWorkerProcess, type WorkerProcess } from "../../helpers/worker-process";

const CLAIM_TTL_MS = 1_500;
let database: TestDatabase;
let customerId: string;
const workers: WorkerProcess[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

const worker = async () => {
  const w = await startWorkerProcess(database.url, { WORKER_CLAIM_TTL_MS: String(CLAIM_TTL_MS), WEBHOOK_RETRY_INTERVAL_MS: "200" });
  workers.push(w);
  return w;
};

describe("the local worker process", () => {
  it("killed (SIGKILL) during a send: another worker takes the message after the claim expires; it ends done, once", async () => {
    const receiver = await startWebhookReceiver((_, n) => (n === 1 ? "hang" : { status: 200 }));
    receivers.push(receiver);
    const siteId = await insertSite(database.db, { url: receiver.url, threads: 2, timeoutMs: 10_000 });
    const doomed = await worker();
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 1 } });
    await waitFor(() => receiver.arrivals.length === 1, 10_000, "the first send");
    await doomed.stop("SIGKILL");
    const killedAt = Date.now();

    const survivor = await worker();
    const message = await waitUntilFinished(database.db, id, 15_000);
    expect(message).toMatchObject({ status: "done", attempts: 2 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual(["resent", "done"]);
    expect(attempts[0]!.error).toMatch(/worker stopped during this attempt/);
    // The second send waited for the dead worker's claim to expire, then went out at once.
    expect(receiver.arrivals).toHaveLength(2);
    expect(receiver.arrivals[1]!.at - killedAt).toBeLessThan(CLAIM_TTL_MS + 3_000);
    expect(new Set(receiver.arrivals.map((a) => a.headers["webhook-id"]))).toEqual(new Set([id]));
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.arrivals).toHaveLength(2);
    expect(await survivor.stop()).toBe(0);
  });

  it("SIGTERM: stops claiming, finishes the send in flight, and exits cleanly", async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 200, delayMs: 700 }));
    receivers.push(receiver);
    const siteId = await insertSite(database.db, { url: receiver.url, threads: 1 });
    const w = await worker();
    const first = await enqueue(database.db, { siteId, customerId, action: "a", payload: { n: 1 } });
    const second = await enqueue(database.db, { siteId, customerId, action: "a", payload: { n: 2 } });
    await waitFor(() => receiver.arrivals.length === 1, 10_000, "the first send");
    const code = await w.stop("SIGTERM");
    expect(code, w.output()).toBe(0);
    const sent = receiver.arrivals.map((a) => a.headers["webhook-id"]);
    // Whichever message was in flight was finished; the other was left queued, unclaimed.
    const [inFlight, waiting] = sent[0] === first.id ? [first.id, second.id] : [second.id, first.id];
    expect((await attemptRows(database.db, inFlight)).map((a) => a.status)).toEqual(["done"]);
    const [queued] = await database.sql`select status, locked_by from webhook_messages where id = ${waiting}`;
    expect(queued).toMatchObject({ status: "queued", locked_by: null });
    expect(receiver.arrivals).toHaveLength(1);
  });
});
