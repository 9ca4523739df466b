import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "@/lib/db/migrate";
import {
  DEFAULT_PARTITION,
  PARTITION_DAYS_AHEAD,
  createAttemptPartitions,
  dropAttemptPartition,
  listAttemptPartitions,
  partitionName,
  utcDay,
} from "@/lib/db/attempt-partitions";
import { trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { RETENTION_MS } from "@/lib/delivery/policy/delivery-rules";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker } from "@/lib/delivery/local/local-worker";
import { purgeExpired } from "@/lib/delivery/purge-expired";
import { listAttemptLogs } from "@/lib/webhooks/read-messages";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { migrateBefore } from "../../helpers/migrate-before";
import { attemptRows, insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver } from "../../helpers/webhook-receiver";

const DAY = 86_400_000;
let database: TestDatabase;
let customerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await database?.drop();
});

/** The partition table a row of webhook_attempts is stored in. */
async function partitionOf(attemptId: number): Promise<string | undefined> {
  const [row] = await database.db.execute<{ t: string }>(sql`select tableoid::regclass::text as t from webhook_attempts where id = ${attemptId}`);
  return row?.t;
}

async function partitionNames() {
  return (await listAttemptPartitions(database.db)).map((p) => p.name);
}

/** A message with its first attempt, both moved to `createdAt` (and finished there, unless in flight). */
async function messageAt(siteId: string, createdAt: Date, finished: boolean) {
  const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
  await database.db
    .update(webhookMessages)
    .set({ createdAt, status: finished ? "done" : "queued", finishedAt: finished ? createdAt : null, nextAttemptAt: finished ? null : createdAt })
    .where(eq(webhookMessages.id, id));
  await database.db.update(webhookAttempts).set({ createdAt, status: finished ? "done" : "queued" }).where(eq(webhookAttempts.messageId, id));
  const [attempt] = await attemptRows(database.db, id);
  return { id, attemptId: attempt!.id };
}

describe("attempt partitions", () => {
  it("exist for today and the days ahead once migrated, and an attempt is stored in its day's partition", async () => {
    const today = utcDay(new Date());
    const names = await partitionNames();
    for (let d = 0; d <= PARTITION_DAYS_AHEAD; d++) expect(names).toContain(partitionName(new Date(today.getTime() + d * DAY)));
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    const [attempt] = await attemptRows(database.db, id);
    expect(await partitionOf(attempt!.id)).toBe(partitionName(utcDay(attempt!.createdAt)));
  });

  it("an attempt of a day without a partition lands in the default one, and moves into the day's partition when the purge creates it", async () => {
    const day = new Date(utcDay(new Date()).getTime() + 3 * DAY);
    await database.db.execute(sql.raw(`drop table "${partitionName(day)}"`));
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { attemptId } = await messageAt(siteId, new Date(day.getTime() + 3_600_000), true);
    expect(await partitionOf(attemptId)).toBe(DEFAULT_PARTITION);

    await purgeExpired(database.db);

    expect(await partitionNames()).toContain(partitionName(day));
    expect(await partitionOf(attemptId)).toBe(partitionName(day));
  });

  it("the purge drops the days that ended before the retention, keeps the day it falls in and later ones, and keeps a paused message's queued attempt", async () => {
    const now = new Date();
    const cutoff = now.getTime() - RETENTION_MS;
    const today = utcDay(now).getTime();
    const dayAgo = (n: number) => new Date(today - n * DAY);
    await createAttemptPartitions(database.db, dayAgo(95), dayAgo(89));
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const expired = [];
    for (let n = 95; n >= 91; n--) expired.push(await messageAt(siteId, new Date(dayAgo(n).getTime() + 3_600_000), true));
    // The cutoff's own day: one row just before it, one just after.
    const beforeCutoff = await messageAt(siteId, new Date(cutoff - 60_000), true);
    // Its message finished within the retention (a purged message takes its attempts with it).
    await database.db.update(webhookMessages).set({ finishedAt: now }).where(eq(webhookMessages.id, beforeCutoff.id));
    const afterCutoff = await messageAt(siteId, new Date(cutoff + 60_000), true);
    // A message queued 95 days ago to a site that has been inactive since: it is still to be sent.
    const pausedSite = await insertSite(database.db, { url: "https://paused.example/" });
    const paused = await messageAt(pausedSite, new Date(dayAgo(95).getTime() + 7_200_000), false);
    await database.db.update(trustedSites).set({ status: "inactive" }).where(eq(trustedSites.id, pausedSite));
    expect(await partitionOf(paused.attemptId)).toBe(partitionName(dayAgo(95)));

    const purged = await purgeExpired(database.db);

    // Days 95..91 ago ended before the cutoff (now - 90 days); so did day 90 ago unless the cutoff is in it.
    expect(purged.partitions).toBeGreaterThanOrEqual(5);
    const names = await partitionNames();
    for (let n = 95; n >= 91; n--) expect(names).not.toContain(partitionName(dayAgo(n)));
    expect(names).toContain(partitionName(utcDay(new Date(cutoff))));
    expect(names).toContain(partitionName(dayAgo(89)));
    for (const m of expired) expect(await attemptRows(database.db, m.id)).toEqual([]);
    // The queued attempt survived its day, in the default partition, unchanged.
    const [kept] = await attemptRows(database.db, paused.id);
    expect(kept).toMatchObject({ id: paused.attemptId, status: "queued", attemptNo: 1 });
    expect(await partitionOf(paused.attemptId)).toBe(DEFAULT_PARTITION);
    // The cutoff's day stays whole until it has ended; the Logs show only what is within the retention.
    expect(await partitionOf(beforeCutoff.attemptId)).toBe(partitionName(utcDay(new Date(cutoff - 60_000))));
    const logs = await listAttemptLogs(database.db, { siteId, limit: 100 });
    const shown = logs.items.map((a) => a.id);
    expect(shown).toContain(afterCutoff.attemptId);
    expect(shown).not.toContain(beforeCutoff.attemptId);
    expect(await purgeExpired(database.db)).toMatchObject({ partitions: 0 });

    // Activated again, the paused message is sent, through the attempt that was kept.
    const receiver = await startWebhookReceiver(() => ({ status: 200 }));
    await database.db.update(trustedSites).set({ url: receiver.url, status: "active" }).where(eq(trustedSites.id, pausedSite));
    // A worker starting claims what is due.
    const worker = startLocalWorker({ ...database, box: createSecretBox(randomBytes(32)), allowPrivateTargets: "127.0.0.1", purgeEveryMs: 0 });
    try {
      await waitUntilFinished(database.db, paused.id, 15_000);
      expect(receiver.arrivals).toHaveLength(1);
      expect((await attemptRows(database.db, paused.id)).map((a) => [a.id, a.status])).toEqual([[paused.attemptId, "done"]]);
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it("a message purged in the cutoff's day takes its attempts of that day with it, and a message kept keeps its own", async () => {
    const now = new Date();
    const cutoff = now.getTime() - RETENTION_MS;
    await createAttemptPartitions(database.db, new Date(cutoff), new Date(cutoff));
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const purgedMessage = await messageAt(siteId, new Date(cutoff - 60_000), true);
    const keptMessage = await messageAt(siteId, new Date(cutoff - 60_000), true);
    await database.db.update(webhookMessages).set({ finishedAt: now }).where(eq(webhookMessages.id, keptMessage.id));
    for (const m of [purgedMessage, keptMessage]) {
      await database.db.execute(sql`
        insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at)
        values (${m.id}, ${siteId}, ${customerId}, 'order.paid', 2, 'done', ${new Date(cutoff - 30_000).toISOString()}::timestamptz, now())`);
    }
    expect(await partitionOf(purgedMessage.attemptId)).toBe(partitionName(utcDay(new Date(cutoff - 60_000))));

    const purged = await purgeExpired(database.db);

    expect(purged.messages).toBe(1);
    expect(await attemptRows(database.db, purgedMessage.id)).toEqual([]);
    expect((await attemptRows(database.db, keptMessage.id)).map((a) => a.attemptNo)).toEqual([1, 2]);
    // The cutoff's day itself is kept until it has ended.
    expect(await partitionNames()).toContain(partitionName(utcDay(new Date(cutoff))));
  });

  it("a day is dropped while deliveries write messages: the drop does not wait for them", async () => {
    const day = new Date(utcDay(new Date()).getTime() - 120 * DAY);
    await createAttemptPartitions(database.db, day, day);
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const inFlight = await messageAt(siteId, new Date(), false);
    // A delivery's transaction, open: it has written a message (as a claim or a record does).
    const delivery = await database.sql.reserve();
    try {
      await delivery`begin`;
      await delivery`update webhook_messages set attempts = attempts where id = ${inFlight.id}`;
      const started = Date.now();
      // Waiting for that transaction would end in a lock timeout after its retries (~20 s).
      await dropAttemptPartition(database.db, (await listAttemptPartitions(database.db)).find((p) => p.name === partitionName(day))!);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await partitionNames()).not.toContain(partitionName(day));
    } finally {
      await delivery`rollback`;
      delivery.release();
    }
  });
});

describe("migration 0021 (attempts partitioned)", () => {
  let fresh: TestDatabase | undefined;
  afterAll(async () => {
    await fresh?.drop();
  });

  it("keeps every attempt already recorded, each in its day's partition (or the default one), and ids go on from the last", async () => {
    fresh = await createTestDatabase({ migrated: false });
    // The migrations before this one, applied first, as an existing database has them.
    await migrateBefore(fresh.sql, "0021_attempts-partitioned");

    const [site] = await fresh.sql<{ id: string }[]>`insert into trusted_sites (name, url, auth_method) values ('old', 'https://old.example/', 'none') returning id`;
    const [customer] = await fresh.sql<{ id: string }[]>`insert into customers (external_id, name) values ('c1', 'C') returning id`;
    const [message] = await fresh.sql<{ id: string }[]>`
      insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts)
      values (${site!.id}, ${customer!.id}, 'a', '{}', 'h', 'queued', 4) returning id`;
    const ages = ["100 days", "3 days", "0 days", "-30 days"]; // past the retention, recent, today, far ahead
    for (const [i, age] of ages.entries()) {
      await fresh.sql`insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at, error)
        values (${message!.id}, ${site!.id}, ${customer!.id}, 'a', ${i + 1}, ${i < 3 ? "resent" : "queued"}, now() - ${age}::interval, now(), ${`attempt ${i + 1}`})`;
    }
    const before = await fresh.sql`select id, attempt_no, status, created_at, error from webhook_attempts order by id`;

    await migrateDatabase(fresh.url);

    const after = await fresh.sql<{ id: string }[]>`select id, attempt_no, status, created_at, error from webhook_attempts order by id`;
    expect([...after]).toEqual([...before]);
    const stored = await fresh.sql<{ t: string }[]>`select tableoid::regclass::text as t from webhook_attempts order by id`;
    const day = (age: number) => partitionName(utcDay(new Date(Date.now() - age * DAY)));
    expect(stored.map((r) => r.t)).toEqual([DEFAULT_PARTITION, day(3), day(0), DEFAULT_PARTITION]);
    const [next] = await fresh.sql<{ id: string }[]>`
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at)
      values (${message!.id}, ${site!.id}, ${customer!.id}, 'a', 5, 'queued', now()) returning id`;
    expect(Number(next!.id)).toBe(Number(after.at(-1)!.id) + 1);
  });
});
