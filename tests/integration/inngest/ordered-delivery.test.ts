import { randomBytes } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { listInFlight } from "@/lib/webhooks/read-messages";
import { takeStrandedMessages } from "@/lib/delivery/inngest/take-stranded-messages";
import { deliverWebhook } from "@/inngest/deliver-webhook";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

// The Inngest engine at a site that delivers in order per customer (DESIGN §3, §4): a later
// message's run ends waiting, and the earlier message's run announces it when it ends.
let database: TestDatabase;
let receiver: WebhookReceiver;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  vi.stubEnv("WEBHOOK_RETRY_INTERVAL_MS", "50");
  vi.stubEnv("APP_ENCRYPTION_KEY", randomBytes(32).toString("base64"));
  database = await createTestDatabase();
  makeAppDatabase(database);
  receiver = await startWebhookReceiver(() => ({ status: 200 }));
});
afterAll(async () => {
  await receiver?.close();
  await database?.drop();
});

function run(messageId: string) {
  const engine = new InngestTestEngine({ function: deliverWebhook });
  return engine.execute({
    events: [{ name: "webhook/message.requested", data: { messageId } }],
    steps: [
      { id: "announce-finished", handler: () => ({ ids: [] }) },
      { id: "announce-next-in-line", handler: () => ({ ids: [] }) },
    ],
  });
}

describe("deliver-webhook at an ordered site", () => {
  it("the later message waits (nothing sent), the earlier one's run announces it, then it is delivered", async () => {
    const siteId = await insertSite(database.db, { url: receiver.url, orderedPerCustomer: true });
    const customerId = await insertCustomer(database.db);
    const otherCustomerId = await insertCustomer(database.db);
    const first = await enqueue(database.db, { siteId, customerId, action: "point_add", payload: { n: 1 } });
    const second = await enqueue(database.db, { siteId, customerId, action: "point_redeem", payload: { n: 2 } });
    const other = await enqueue(database.db, { siteId, customerId: otherCustomerId, action: "point_add", payload: { n: 1 } });

    const waiting = await run(second.id);
    expect(waiting.result).toEqual({ messageId: second.id, outcome: "waiting", tries: 1 });
    expect(receiver.arrivals).toHaveLength(0);
    expect(await messageRow(database.db, second.id)).toMatchObject({ status: "queued", attempts: 0, lockedBy: null });
    // The Queue says why it waits; the earlier one is not waiting.
    const queue = (await listInFlight(database.db, {})).items;
    expect(queue.find((m) => m.id === second.id)).toMatchObject({ waitingForEarlier: true, sending: false });
    expect(queue.find((m) => m.id === first.id)).toMatchObject({ waitingForEarlier: false });
    expect(queue.find((m) => m.id === other.id)).toMatchObject({ waitingForEarlier: false });
    // Waiting is not stranded: the sweeper leaves it to the announcement.
    await database.sql`update webhook_messages set next_attempt_at = now() - interval '1 hour' where id = ${second.id}`;
    expect((await takeStrandedMessages(database.db, { overdueMs: 60_000, limit: 10 })).map((m) => m.id)).not.toContain(second.id);

    // Another customer is not held up.
    expect((await run(other.id)).result).toMatchObject({ outcome: "done" });

    const done = await run(first.id);
    expect(done.result).toMatchObject({ messageId: first.id, outcome: "done" });
    expect(done.ctx.step.sendEvent).toHaveBeenCalledWith(
      "announce-next-in-line",
      expect.objectContaining({ name: "webhook/message.requested", data: { messageId: second.id, attemptNo: 1 }, id: `message-requested-${second.id}-1-after-${first.id}` }),
    );
    // The other customer's line is empty once its message ended: nothing to announce.
    const otherRun = await run(other.id);
    expect(otherRun.ctx.step.sendEvent).not.toHaveBeenCalledWith("announce-next-in-line", expect.anything());

    expect((await run(second.id)).result).toMatchObject({ messageId: second.id, outcome: "done" });
    expect(receiver.arrivals.map((a) => (JSON.parse(a.body) as { type: string }).type)).toEqual(["point_add", "point_add", "point_redeem"]);
  });
});
