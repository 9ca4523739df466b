import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as retryNowRoute } from "@/app/api/webhooks/messages/[id]/retry-now/route";
import { auditEvents } from "@/lib/db/schema";
import { DUE_CHANNEL } from "@/lib/delivery/announce";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { enqueue } from "@/lib/delivery/enqueue";
import { listInFlight } from "@/lib/webhooks/read-messages";
import { recordOutcome } from "@/lib/delivery/record-outcome";
import { retryMessageNow } from "@/lib/delivery/operator/retry-message-now";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";
import { deliver, failAllAttempts } from "../../helpers/finish-message";

let database: RouteTestDatabase;
let token: string;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("ops script");
  token = database.token;
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/" });
});
afterAll(() => database?.drop());

const HOUR = 3_600_000;
const retryNow = async (id: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
  const res = await retryNowRoute(new Request(`http://app.test/api/webhooks/messages/${id}/retry-now`, { method: "POST", headers }), {
    params: Promise.resolve({ id }),
  });
  return { status: res.status, body: await res.json() };
};

/** A message whose first attempt failed with a 503 and whose resend is due in an hour. */
async function waitingMessage(site = siteId) {
  const { id } = await enqueue(database.db, { siteId: site, customerId, action: "points.earned", payload: { points: 1 } });
  const claimed = await claimMessage(database.db, id, randomUUID(), 10_000);
  await recordOutcome(
    database.db,
    claimed!,
    { succeeded: false, responseCode: 503, error: "the receiver answered 503", durationMs: 4, startedAt: new Date() },
    { retryInMs: HOUR },
  );
  return id;
}

describe("POST /api/webhooks/messages/{id}/retry-now", () => {
  it("makes a waiting message and its queued attempt due now, tells the workers, and audits it", async () => {
    const id = await waitingMessage();
    const before = await messageRow(database.db, id);
    expect(before.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + HOUR / 2);
    const notified: string[] = [];
    const listening = await database.sql.listen(DUE_CHANNEL, (payload) => notified.push(payload));

    const { status, body } = await retryNow(id);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, status: "resent", attemptNo: 2 });
    const after = await messageRow(database.db, id);
    expect(after).toMatchObject({ status: "resent", attempts: 1 });
    expect(Math.abs(after.nextAttemptAt!.getTime() - Date.now())).toBeLessThan(5_000);
    const queued = (await attemptRows(database.db, id)).at(-1)!;
    expect(queued).toMatchObject({ attemptNo: 2, status: "queued" });
    expect(queued.scheduledAt.getTime()).toBe(after.nextAttemptAt!.getTime());
    await expect.poll(() => notified.length).toBeGreaterThan(0);
    await listening.unlisten();

    const [event] = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "message.retried-now"));
    expect(event).toMatchObject({ actor: 'API token "ops script"', siteId, details: { messageId: id, attemptNo: 2 } });
  });

  it("refuses with 409 a message that is done, failed, not tried yet, being sent or paused; 404 unknown; 401 anonymous", async () => {
    const conflict = async (id: string, message: RegExp) => {
      const { status, body } = await retryNow(id);
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: "conflict", error: expect.stringMatching(message) });
    };
    const queued = (await enqueue(database.db, { siteId, customerId, action: "a", payload: {} })).id;
    await conflict(queued, /first attempt is due already/);

    const done = await waitingMessage();
    await database.sql`update webhook_messages set next_attempt_at = now() where id = ${done}`;
    await deliver(database.db, done);
    await conflict(done, /already been delivered/);

    const failed = (await enqueue(database.db, { siteId, customerId, action: "a", payload: {} })).id;
    await failAllAttempts(database.db, failed);
    await conflict(failed, /already failed/);

    const sending = await waitingMessage();
    await database.sql`update webhook_messages set next_attempt_at = now() where id = ${sending}`;
    expect(await claimMessage(database.db, sending, randomUUID(), 10_000)).not.toBeNull();
    await conflict(sending, /being sent right now/);

    const inactive = await insertSite(database.db, { url: "https://receiver.example/" });
    const paused = await waitingMessage(inactive);
    await database.sql`update trusted_sites set status = 'inactive' where id = ${inactive}`;
    await conflict(paused, /paused/);
    expect((await messageRow(database.db, paused)).nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + HOUR / 2);

    expect((await retryNow(randomUUID())).status).toBe(404);
    expect((await retryNow("not-a-uuid")).status).toBe(404);
    expect((await retryNow(paused, {})).status).toBe(401);
    const retried = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "message.retried-now"));
    expect(retried).toHaveLength(1);
  });

  it("is refused with the Inngest engine, whose sleeping run cannot be woken early", async () => {
    const id = await waitingMessage();
    await expect(retryMessageNow(database.db, id, { kind: "user", userId: "u", email: "ops@example.com" }, "inngest")).rejects.toMatchObject({ status: 409 });
  });
});

describe("the Queue", () => {
  it("shows each message's last error, its site, and whether it is being sent", async () => {
    const id = await waitingMessage();
    const { items } = await listInFlight(database.db, { limit: 200 });
    expect(items.find((m) => m.id === id)).toMatchObject({ siteId, siteWorkflowId: null, lastError: "the receiver answered 503", sending: false, paused: false, attempts: 1 });
    const fresh = (await enqueue(database.db, { siteId, customerId, action: "a", payload: {} })).id;
    expect((await listInFlight(database.db, { limit: 200 })).items.find((m) => m.id === fresh)).toMatchObject({ lastError: null });
  });
});
