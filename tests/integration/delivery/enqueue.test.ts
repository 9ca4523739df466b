import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookMessages } from "@/lib/db/schema";
import type { Announce } from "@/lib/delivery/announce";
import { enqueue } from "@/lib/delivery/enqueue";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";

let database: TestDatabase;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
});
afterAll(() => database?.drop());

const countMessages = async () => (await database.db.select({ n: sql<number>`count(*)::int` }).from(webhookMessages))[0]!.n;

describe("enqueue", () => {
  it("writes the message and its first queued attempt together, and announces it on commit", async () => {
    const heard: string[] = [];
    await database.sql.listen("webhook_messages_due", (payload) => heard.push(payload));
    const queued = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { total: 12.5, items: [1, 2] } });
    expect(queued).toMatchObject({ status: "queued", created: true });
    const message = await messageRow(database.db, queued.id);
    expect(message).toMatchObject({ status: "queued", attempts: 0, siteId, customerId, action: "order.paid", payload: { total: 12.5, items: [1, 2] } });
    expect(message.nextAttemptAt).not.toBeNull();
    const attempts = await attemptRows(database.db, queued.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attemptNo: 1, status: "queued", siteId, customerId, action: "order.paid", startedAt: null });
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.length).toBeGreaterThanOrEqual(1);
  });

  it("writes nothing when the announcement fails (the engine would never hear of it)", async () => {
    const before = await countMessages();
    const failing: Announce = async () => {
      throw new Error("engine unreachable");
    };
    await expect(enqueue(database.db, { siteId, customerId, action: "a", payload: {} }, failing)).rejects.toThrow("engine unreachable");
    expect(await countMessages()).toBe(before);
  });

  it("returns the first message for a repeated idempotency key, and delivers it once", async () => {
    const input = { siteId, customerId, action: "order.paid", payload: { b: 1, a: [2] }, idempotencyKey: "order-77" };
    const first = await enqueue(database.db, input);
    const again = await enqueue(database.db, { ...input, payload: { a: [2], b: 1 } });
    expect(again).toEqual({ id: first.id, status: "queued", created: false });
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => enqueue(database.db, { ...input, idempotencyKey: "order-78" })));
    expect(new Set(concurrent.map((m) => m.id)).size).toBe(1);
    expect(concurrent.filter((m) => m.created)).toHaveLength(1);
    const rows = await database.db.select().from(webhookMessages).where(eq(webhookMessages.idempotencyKey, "order-78"));
    expect(rows).toHaveLength(1);
    expect(await database.db.select().from(webhookAttempts).where(eq(webhookAttempts.messageId, rows[0]!.id))).toHaveLength(1);
  });

  it("refuses a repeated idempotency key for a different message (409), and allows it for another site", async () => {
    const input = { siteId, customerId, action: "order.paid", payload: { n: 1 }, idempotencyKey: "order-79" };
    await enqueue(database.db, input);
    await expect(enqueue(database.db, { ...input, payload: { n: 2 } })).rejects.toBeInstanceOf(ConflictError);
    const otherSite = await insertSite(database.db, { url: "https://other.example/" });
    expect((await enqueue(database.db, { ...input, siteId: otherSite })).created).toBe(true);
  });

  it("404 for an unknown site, 409 for a draft or inactive one, 422 for an unknown customer or a bad body", async () => {
    const before = await countMessages();
    const base = { siteId, customerId, action: "order.paid", payload: {} };
    await expect(enqueue(database.db, { ...base, siteId: randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
    for (const status of ["draft", "inactive"] as const) {
      const site = await insertSite(database.db, { url: "https://x.example/", status });
      const error = await enqueue(database.db, { ...base, siteId: site }).catch((e) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toMatch(status === "draft" ? /a draft/ : /inactive/);
    }
    const unknownCustomer = await enqueue(database.db, { ...base, customerId: randomUUID() }).catch((e) => e);
    expect(unknownCustomer).toBeInstanceOf(ValidationError);
    expect(unknownCustomer.issues).toEqual([{ path: ["customerId"], message: "No such customer" }]);
    const bad = await enqueue(database.db, { siteId: "nope", action: " ", payload: undefined }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(
      expect.arrayContaining(["siteId", "action", "customerId", "payload"]),
    );
    expect(await countMessages()).toBe(before);
  });
});
