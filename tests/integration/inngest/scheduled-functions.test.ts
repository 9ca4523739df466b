import { InngestTestEngine } from "@inngest/test";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { PURGE_BATCHES_PER_STEP, purgeWebhookLogs } from "@/inngest/purge-webhook-logs";
import { sweepStrandedMessages } from "@/inngest/sweep-stranded-messages";
import { useAsAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";

let database: TestDatabase;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  useAsAppDatabase(database);
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
});
afterAll(() => database?.drop());

const newMessage = async () => (await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} })).id;
const setMessage = (id: string, values: Partial<typeof webhookMessages.$inferInsert> | Record<string, unknown>) =>
  database.db.update(webhookMessages).set(values).where(eq(webhookMessages.id, id));
const ago = (interval: string) => sql`clock_timestamp() - ${interval}::interval`;

describe("sweep-stranded-messages (cron)", () => {
  it("announces again the queued messages nobody holds that are well overdue, and only those (a paused one is not stranded)", async () => {
    const stranded = await newMessage();
    await setMessage(stranded, { nextAttemptAt: ago("10 minutes") });
    const strandedRetry = await newMessage();
    await setMessage(strandedRetry, { status: "resent", attempts: 1, nextAttemptAt: ago("5 minutes") });
    await database.db.update(webhookAttempts).set({ status: "resent" }).where(eq(webhookAttempts.messageId, strandedRetry));
    await database.db.insert(webhookAttempts).values({
      messageId: strandedRetry, siteId, customerId, action: "order.paid", attemptNo: 2, status: "queued", scheduledAt: new Date(Date.now() - 300_000),
    });
    const dueJustNow = await newMessage();
    const held = await newMessage();
    await setMessage(held, { nextAttemptAt: ago("10 minutes"), lockedBy: crypto.randomUUID(), lockedUntil: sql`clock_timestamp() + interval '20 seconds'` });
    const finished = await newMessage();
    await setMessage(finished, { status: "done", nextAttemptAt: ago("10 minutes"), finishedAt: new Date() });
    const pausedSite = await insertSite(database.db, { url: "https://paused.example/hooks" });
    const paused = (await enqueue(database.db, { siteId: pausedSite, customerId, action: "order.paid", payload: {} })).id;
    await setMessage(paused, { nextAttemptAt: ago("10 minutes") });
    await database.db.update(trustedSites).set({ status: "inactive" }).where(eq(trustedSites.id, pausedSite));

    const announced: unknown[] = [];
    const engine = new InngestTestEngine({ function: sweepStrandedMessages });
    const { result, ctx } = await engine.execute({
      // step.sendEvent is not mocked by @inngest/test: without this it would call Inngest.
      steps: [
        {
          id: "announce-stranded",
          handler: () => {
            announced.push("sent");
            return { ids: ["e1", "e2"] };
          },
        },
      ],
    });

    expect(result).toEqual({ announced: 2 });
    expect(announced).toEqual(["sent"]);
    expect(ctx.step.sendEvent).toHaveBeenCalledTimes(1);
    const [stepId, events] = ctx.step.sendEvent.mock.calls[0]! as [string, { name: string; data: unknown }[]];
    expect(stepId).toBe("announce-stranded");
    expect(events.map((e) => ({ name: e.name, data: e.data }))).toEqual(
      expect.arrayContaining([
        { name: "webhook/message.requested", data: { messageId: stranded, attemptNo: 1 } },
        { name: "webhook/message.requested", data: { messageId: strandedRetry, attemptNo: 2 } },
      ]),
    );
    expect(events).toHaveLength(2);
    // Taken messages are due now, so the next sweep leaves them to the run just started.
    for (const id of [stranded, strandedRetry]) {
      expect((await messageRow(database.db, id)).nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() - 10_000);
    }
    expect((await messageRow(database.db, dueJustNow)).status).toBe("queued");
    expect((await messageRow(database.db, paused)).nextAttemptAt!.getTime()).toBeLessThan(Date.now() - 500_000);
    expect((await messageRow(database.db, held)).nextAttemptAt!.getTime()).toBeLessThan(Date.now() - 500_000);

    const again = await new InngestTestEngine({ function: sweepStrandedMessages }).execute({ steps: [] });
    expect(again.result).toEqual({ announced: 0 });
  });
});

describe("purge-webhook-logs (cron)", () => {
  it("deletes attempts and finished messages older than 90 days, and nothing in flight", async () => {
    const old = await newMessage();
    await setMessage(old, { status: "done", createdAt: ago("100 days"), finishedAt: ago("95 days") });
    await database.db.update(webhookAttempts).set({ status: "done", createdAt: ago("100 days") }).where(eq(webhookAttempts.messageId, old));
    const recent = await newMessage();
    await setMessage(recent, { status: "done", finishedAt: ago("1 day") });
    await database.db.update(webhookAttempts).set({ status: "done" }).where(eq(webhookAttempts.messageId, recent));
    const oldInFlight = await newMessage();
    await setMessage(oldInFlight, { createdAt: ago("100 days") });
    await database.db.update(webhookAttempts).set({ createdAt: ago("100 days") }).where(eq(webhookAttempts.messageId, oldInFlight));

    const { result, error } = await new InngestTestEngine({ function: purgeWebhookLogs }).execute({ steps: [] });

    expect(error).toBeUndefined();
    expect(result).toEqual({ attempts: 1, partitions: 0, messages: 1, minutes: 0, parts: 1, more: false });
    const left = await database.db.select({ id: webhookMessages.id }).from(webhookMessages).where(inArray(webhookMessages.id, [old, recent, oldInFlight]));
    expect(left.map((m) => m.id).sort()).toEqual([recent, oldInFlight].sort());
    expect(await attemptRows(database.db, recent)).toHaveLength(1);
    expect(await attemptRows(database.db, oldInFlight)).toHaveLength(1);
  });

  it("a backlog larger than one step: each step deletes a bounded number of batches and the next resumes where it stopped", async () => {
    const oldSite = await insertSite(database.db, { url: "https://old.example/hooks" });
    // 9,000 finished messages with 5 attempts each, all past the retention: 45,000 attempts.
    await database.db.execute(sql`
      with m as (
        insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts, created_at, finished_at)
        select ${oldSite}, ${customerId}, 'order.paid', '{}', md5(n::text), 'failed', 5, now() - interval '100 days', now() - interval '95 days'
        from generate_series(1, 9000) n
        returning id
      )
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at)
      select m.id, ${oldSite}, ${customerId}, 'order.paid', a, case when a = 5 then 'failed' else 'resent' end::delivery_status,
        now() - interval '100 days', now() - interval '100 days'
      from m, generate_series(1, 5) a`);
    const left = async () => {
      const [row] = await database.db.execute<{ attempts: number; messages: number }>(sql`
        select (select count(*) from webhook_attempts where site_id = ${oldSite})::int as attempts,
          (select count(*) from webhook_messages where site_id = ${oldSite})::int as messages`);
      return row!;
    };
    const { result, error, ctx } = await new InngestTestEngine({ function: purgeWebhookLogs }).execute({ steps: [] });

    expect(error).toBeUndefined();
    const perStep = PURGE_BATCHES_PER_STEP * 1000;
    expect(result).toEqual({ attempts: 45_000, partitions: 0, messages: 9_000, minutes: 0, parts: 3, more: false });
    const run = ctx.step.run as unknown as { mock: { calls: [string][]; results: { value: Promise<unknown> }[] } };
    expect(run.mock.calls.map(([id]) => id)).toEqual(["partitions-ahead", "cutoff", "purge-1", "purge-2", "purge-3"]);
    // Each part stopped after its batches; the next took up the oldest rows left.
    expect(await Promise.all(run.mock.results.slice(2).map((r) => r.value))).toEqual([
      { attempts: perStep, partitions: 0, messages: 0, minutes: 0, more: true },
      { attempts: perStep, partitions: 0, messages: 0, minutes: 0, more: true },
      { attempts: 45_000 - 2 * perStep, partitions: 0, messages: 9_000, minutes: 0, more: false },
    ]);
    expect(await left()).toEqual({ attempts: 0, messages: 0 });
  }, 60_000);
});
