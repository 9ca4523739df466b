import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { auditEvents, trustedSites, webhookMessages } from "@/lib/db/schema";
import type { Announcer } from "@/lib/delivery/engine";
import { enqueue } from "@/lib/delivery/enqueue";
import { getMessage, listInFlight } from "@/lib/webhooks/read-messages";
import { countFailedToResend, resendFailedMessages, resendMessage } from "@/lib/delivery/operator/resend-message";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";
import { deliver, failAllAttempts, recordAttempts } from "../../helpers/finish-message";

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let customerId: string;
let otherCustomerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  otherCustomerId = await insertCustomer(database.db);
});
afterAll(() => database?.drop());

/** An announce that records what it was told, to show resends take enqueue's path to the engine. */
/** Records what an engine is told inside the transaction (local) and after the commit (Inngest). */
function spyAnnounce() {
  const told: string[] = [];
  const toldAfterCommit: string[] = [];
  const announce: Announcer = {
    inTransaction: async (_tx, message) => {
      told.push(message.id);
    },
    afterCommit: async (messages) => {
      toldAfterCommit.push(...messages.map((m) => m.id));
    },
  };
  return { told, toldAfterCommit, announce };
}

async function failedMessage(siteId: string, overrides: { customerId?: string; action?: string } = {}) {
  const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { points: 7, tags: ["a"] }, ...overrides });
  await failAllAttempts(database.db, id);
  return id;
}

describe("resending one message", () => {
  it("queues a new message with the same content, linked both ways, announced and audited", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { total: 12.5, items: [1, 2] } });
    await deliver(database.db, id);
    const { told, toldAfterCommit, announce } = spyAnnounce();

    const resent = await resendMessage(database.db, id, actor, announce);

    expect(resent).toEqual({ id: expect.any(String), status: "queued", resentFromMessageId: id });
    expect(resent.id).not.toBe(id);
    expect(told).toEqual([resent.id]);
    expect(toldAfterCommit).toEqual([resent.id]);
    const [original, copy] = [await messageRow(database.db, id), await messageRow(database.db, resent.id)];
    expect(copy).toMatchObject({
      siteId,
      customerId,
      action: "order.paid",
      payload: original.payload,
      status: "queued",
      resentFromMessageId: id,
      idempotencyKey: null,
    });
    expect((await attemptRows(database.db, resent.id)).map((a) => [a.attemptNo, a.status])).toEqual([[1, "queued"]]);
    expect((await getMessage(database.db, id)).resentAs).toEqual([expect.objectContaining({ id: resent.id, status: "queued" })]);
    expect((await getMessage(database.db, resent.id)).resentFromMessageId).toBe(id);
    const [event] = await database.db.select().from(auditEvents).where(eq(auditEvents.siteId, siteId));
    expect(event).toMatchObject({ actor: "ops@example.com", action: "messages.resent", details: { count: 1, messageIds: [id], resentAs: [resent.id] } });
  });

  it("resends a failed message too, as often as asked", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const id = await failedMessage(siteId);
    const first = await resendMessage(database.db, id, actor);
    const second = await resendMessage(database.db, id, actor);
    expect(first.id).not.toBe(second.id);
    expect((await getMessage(database.db, id)).resentAs.map((r) => r.id)).toEqual([first.id, second.id]);
  });

  it("refuses a message still in flight (409), a site that is not active (409), and unknown ids (404)", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { id: queued } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await expect(resendMessage(database.db, queued, actor)).rejects.toThrow(ConflictError);
    await expect(resendMessage(database.db, queued, actor)).rejects.toThrow(/still being delivered/);
    await recordAttempts(database.db, queued, 1); // attempt 1 resent, attempt 2 queued
    await expect(resendMessage(database.db, queued, actor)).rejects.toThrow(/still being delivered/);

    const failed = await failedMessage(siteId);
    await database.db.update(trustedSites).set({ status: "inactive" }).where(eq(trustedSites.id, siteId));
    const refusal = await resendMessage(database.db, failed, actor).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ConflictError);
    expect((refusal as Error).message).toMatch(/is inactive: activate it before sending messages to it/);
    expect(await database.db.select().from(webhookMessages).where(eq(webhookMessages.resentFromMessageId, failed))).toEqual([]);

    await expect(resendMessage(database.db, randomUUID(), actor)).rejects.toThrow(NotFoundError);
    await expect(resendMessage(database.db, "not-a-uuid", actor)).rejects.toThrow(NotFoundError);
  });
});

describe("resending the failed messages of a site matching a filter", () => {
  it("counts, then resends exactly the failed ones matching, oldest first, once", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const otherSite = await insertSite(database.db, { url: "https://other.example/" });
    const a = await failedMessage(siteId);
    const b = await failedMessage(siteId, { customerId: otherCustomerId });
    const c = await failedMessage(siteId, { action: "order.paid" });
    await failedMessage(otherSite);
    const { id: done } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: {} });
    await deliver(database.db, done);
    await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: {} }); // in flight

    expect(await countFailedToResend(database.db, { siteId })).toEqual({ count: 3, capped: false, cap: 10_000 });
    expect((await countFailedToResend(database.db, { siteId, customerId: otherCustomerId })).count).toBe(1);
    expect((await countFailedToResend(database.db, { siteId, action: "points.earned" })).count).toBe(2);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await countFailedToResend(database.db, { siteId, from: future })).count).toBe(0);

    const { told, toldAfterCommit, announce } = spyAnnounce();
    const result = await resendFailedMessages(database.db, { siteId, action: "points.earned" }, actor, announce);
    expect(result).toEqual({ count: 2, capped: false, cap: 10_000 });
    expect(told).toHaveLength(2);
    expect(toldAfterCommit.sort()).toEqual([...told].sort());
    const copies = await database.db.select().from(webhookMessages).where(eq(webhookMessages.siteId, siteId));
    expect(copies.filter((m) => m.resentFromMessageId).map((m) => m.resentFromMessageId).sort()).toEqual([a, b].sort());

    // Messages resent before are not counted again; the one left is c.
    expect(await countFailedToResend(database.db, { siteId })).toMatchObject({ count: 1 });
    expect(await resendFailedMessages(database.db, { siteId }, actor)).toMatchObject({ count: 1 });
    expect((await getMessage(database.db, c)).resentAs).toHaveLength(1);
    const events = await database.db.select().from(auditEvents).where(eq(auditEvents.siteId, siteId));
    expect(events.map((e) => [e.action, e.details.count])).toEqual([
      ["messages.resent", 2],
      ["messages.resent", 1],
    ]);
  });

  it("two requests at once resend each message once", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    for (let i = 0; i < 4; i++) await failedMessage(siteId);
    const results = await Promise.all([1, 2].map(() => resendFailedMessages(database.db, { siteId }, actor)));
    expect(results.map((r) => r.count).sort()).toEqual([0, 4]);
  });

  it("requires a site, refuses an inactive one, and checks the range", async () => {
    await expect(resendFailedMessages(database.db, {}, actor)).rejects.toThrow(ValidationError);
    const inactive = await insertSite(database.db, { url: "https://receiver.example/", status: "inactive" });
    await expect(resendFailedMessages(database.db, { siteId: inactive }, actor)).rejects.toThrow(/inactive/);
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const backwards = { siteId, from: "2026-11-10T15:00:00Z", to: "2026-11-10T14:00:00Z" };
    const error = await countFailedToResend(database.db, backwards).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: ["to"], message: "From must be before To" }]);
  });
});

describe("the Queue's Attempts sent column", () => {
  // Regression (issue 14): it said "Retries 1 of 4" while the second attempt was only queued.
  it("counts attempts sent, not a retry that is queued but not sent yet", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    const sent = async () => (await listInFlight(database.db, { limit: 200 })).items.find((m) => m.id === id)?.attempts;
    expect(await sent()).toBe(0);
    await recordAttempts(database.db, id, 1);
    expect((await attemptRows(database.db, id)).map((a) => a.status)).toEqual(["resent", "queued"]);
    expect(await sent()).toBe(1);
    await recordAttempts(database.db, id, 3);
    expect(await sent()).toBe(4);
  });
});
