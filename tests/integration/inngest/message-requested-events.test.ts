import { InngestTestEngine } from "@inngest/test";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { enqueue } from "@/lib/delivery/enqueue";
import { RESEND_FAILED_CAP, resendFailedMessages } from "@/lib/delivery/operator/resend-message";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { inngest } from "@/inngest/client";
import { EVENT_REQUEST_BYTES, EVENTS_PER_REQUEST } from "@/inngest/request-delivery";
import { sweepStrandedMessages } from "@/inngest/sweep-stranded-messages";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";

type SentEvent = { name: string; id?: string; data: { messageId: string; attemptNo?: number } };

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let customerId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  makeAppDatabase(database);
  customerId = await insertCustomer(database.db);
});
afterAll(() => database?.drop());
afterEach(() => vi.restoreAllMocks());

/** What reached Inngest's event API, one entry per request (inngest.send has no server here). */
function captureSends() {
  const requests: SentEvent[][] = [];
  vi.spyOn(inngest, "send").mockImplementation(async (payload) => {
    const events = (Array.isArray(payload) ? payload : [payload]) as unknown as SentEvent[];
    requests.push(JSON.parse(JSON.stringify(events)));
    return { ids: events.map((_, i) => `e${i}`) };
  });
  return requests;
}

describe("webhook/message.requested event ids (Inngest de-duplicates an id for 24 h)", () => {
  it("are the message id and attempt: the same announcement twice has one id, a message announced again after a pause another", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
    const sends = captureSends();
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
    await engineAnnouncer("inngest").afterCommit([{ id }]);
    await engineAnnouncer("inngest").afterCommit([{ id }]);
    expect(sends.flat().map((e) => e.id)).toEqual([`message-requested-${id}-1`, `message-requested-${id}-1`]);

    // Paused and resumed before its first attempt: the first event's id is still in Inngest's
    // de-duplication window, so the resumed message's event must carry a different one.
    await setSiteStatus(database.db, actor, siteId, { status: "inactive" }, engineAnnouncer("inngest"));
    await setSiteStatus(database.db, actor, siteId, { status: "active" }, engineAnnouncer("inngest"));
    const resumed = sends.flat()[2]!;
    expect(resumed).toMatchObject({ name: "webhook/message.requested", data: { messageId: id, attemptNo: 1 } });
    expect(resumed.id).toMatch(new RegExp(`^message-requested-${id}-1-again-\\d+$`));
  });

  it("the sweeper names its own run, so a stranded message's event is not dropped as a repeat of its first", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
    await database.db.update(webhookMessages).set({ nextAttemptAt: sql`clock_timestamp() - interval '10 minutes'` }).where(eq(webhookMessages.id, id));
    const { ctx, result } = await new InngestTestEngine({ function: sweepStrandedMessages }).execute({
      steps: [{ id: "announce-stranded", handler: () => ({ ids: ["e1"] }) }],
    });
    expect(result).toMatchObject({ announced: expect.any(Number) });
    const events = ctx.step.sendEvent.mock.calls.flatMap(([, e]) => e as SentEvent[]).filter((e) => e.data.messageId === id);
    expect(events).toHaveLength(1);
    expect(events[0]!.id).toMatch(new RegExp(`^message-requested-${id}-1-swept-.+`));
  });
});

describe("resend-failed with WEBHOOK_ENGINE=inngest", () => {
  it(`announces all ${RESEND_FAILED_CAP} resent messages in requests within the event API's limits, each event with its own id`, async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
    await database.db.execute(sql`
      insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts, finished_at, created_at)
      select ${siteId}, ${customerId}, 'order.paid', jsonb_build_object('n', n, 'note', repeat('x', 200)), md5(n::text), 'failed', 5, now(), now() - interval '1 hour'
      from generate_series(1, ${RESEND_FAILED_CAP}) n`);
    const sends = captureSends();

    const result = await resendFailedMessages(database.db, { siteId }, actor, engineAnnouncer("inngest"));

    expect(result).toMatchObject({ count: RESEND_FAILED_CAP, capped: false });
    expect(sends.length).toBeGreaterThan(1);
    for (const request of sends) {
      expect(request.length).toBeLessThanOrEqual(EVENTS_PER_REQUEST);
      // What the SDK adds to each event (ts, meta) fits in the margin under Inngest's 256 KiB.
      expect(Buffer.byteLength(JSON.stringify(request)) + request.length * 64).toBeLessThanOrEqual(EVENT_REQUEST_BYTES);
    }
    const events = sends.flat();
    const resent = await database.db
      .select({ id: webhookMessages.id })
      .from(webhookMessages)
      .where(sql`${webhookMessages.siteId} = ${siteId} and ${webhookMessages.status} = 'queued'`);
    expect(resent).toHaveLength(RESEND_FAILED_CAP);
    expect(new Set(events.map((e) => e.data.messageId))).toEqual(new Set(resent.map((m) => m.id)));
    expect(new Set(events.map((e) => e.id)).size).toBe(RESEND_FAILED_CAP);
    expect(events.every((e) => e.id === `message-requested-${e.data.messageId}-1`)).toBe(true);
    const attempts = await database.db.select({ n: sql<number>`count(*)::int` }).from(webhookAttempts).where(eq(webhookAttempts.siteId, siteId));
    expect(attempts[0]!.n).toBe(RESEND_FAILED_CAP);
  }, 60_000);
});
