import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { DEFAULT_RETRY_INTERVAL_MS, RETENTION_MS } from "@/lib/delivery/policy/delivery-rules";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { purgeExpired } from "@/lib/delivery/purge-expired";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

let database: TestDatabase;
let worker: LocalWorker | undefined;
let receiver: WebhookReceiver | undefined;
let customerId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await database?.drop();
});

describe("the real retry interval", () => {
  it("resends a failed attempt 10 seconds later by default (the one slow test)", { timeout: 30_000 }, async () => {
    receiver = await startWebhookReceiver((_, n) => ({ status: n === 1 ? 503 : 200 }));
    // No retryIntervalMs: the default applies.
    worker = startLocalWorker({ ...database, box: createSecretBox(randomBytes(32)), allowPrivateTargets: "127.0.0.1", purgeEveryMs: 0 });
    const siteId = await insertSite(database.db, { url: receiver.url });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await waitUntilFinished(database.db, id, 20_000);
    const gap = receiver.arrivals[1]!.at - receiver.arrivals[0]!.at;
    expect(DEFAULT_RETRY_INTERVAL_MS).toBe(10_000);
    expect(gap).toBeGreaterThanOrEqual(10_000);
    expect(gap).toBeLessThan(11_500);
    expect((await attemptRows(database.db, id)).map((a) => a.status)).toEqual(["resent", "done"]);
  });
});

describe("purgeExpired", () => {
  it("deletes attempts and finished messages older than 90 days, in batches, and nothing else", async () => {
    // No worker may claim the messages queued below before they are aged by hand.
    await worker?.stop();
    worker = undefined;
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const now = new Date();
    const old = new Date(now.getTime() - RETENTION_MS - 60_000);
    const recent = new Date(now.getTime() - RETENTION_MS + 60_000);
    const ids: Record<string, string> = {};
    for (const [name, createdAt, finished] of [
      ["oldDone", old, true],
      ["oldInFlight", old, false],
      ["recentDone", recent, true],
    ] as const) {
      const { id } = await enqueue(database.db, { siteId, customerId, action: name, payload: {} });
      ids[name] = id;
      await database.db
        .update(webhookMessages)
        .set({ createdAt, status: finished ? "done" : "queued", finishedAt: finished ? createdAt : null, nextAttemptAt: finished ? null : new Date(now.getTime() + 3_600_000) })
        .where(eq(webhookMessages.id, id));
      await database.db.update(webhookAttempts).set({ createdAt, status: finished ? "done" : "queued" }).where(eq(webhookAttempts.messageId, id));
    }
    // Extra old attempts, more than one batch of them.
    await database.db.execute(sql`
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at)
      select ${ids.recentDone}, ${siteId}, ${customerId}, 'x', n, 'resent', ${old.toISOString()}::timestamptz, ${old.toISOString()}::timestamptz
      from generate_series(2, 5) n`);

    const purged = await purgeExpired(database.db, { now, batchSize: 2 });
    expect(purged).toEqual({ attempts: 5, partitions: 0, messages: 1, minutes: 0 });
    expect(await attemptRows(database.db, ids.oldInFlight!)).toHaveLength(1);
    const left = await database.db.select({ id: webhookMessages.id }).from(webhookMessages);
    expect(left.map((m) => m.id)).toEqual(expect.arrayContaining([ids.oldInFlight, ids.recentDone]));
    expect(left.map((m) => m.id)).not.toContain(ids.oldDone);
    expect(await purgeExpired(database.db, { now })).toEqual({ attempts: 0, partitions: 0, messages: 0, minutes: 0 });
  });
});
