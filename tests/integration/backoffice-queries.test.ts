import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCustomer } from "@/lib/customers/get-customer";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { listSites } from "@/lib/trusted-sites/list-sites";
import { listAttemptLogs, listCustomerMessages, listInFlight } from "@/lib/webhooks/read-messages";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

let database: TestDatabase;
let siteId: string;
let customerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  [{ id: siteId }] = await db
    .insert(trustedSites)
    .values({ name: "CRM", url: "https://crm.example/hook", authMethod: "basic", authParams: { password: "enc:xyz" } })
    .returning({ id: trustedSites.id }) as [{ id: string }];
  [{ id: customerId }] = await db
    .insert(customers)
    .values({ name: "Ada", email: "ada@example.com" })
    .returning({ id: customers.id }) as [{ id: string }];
});
afterAll(() => database.drop());

async function addMessage(status: "queued" | "resent" | "done" | "failed", attempts: number, createdAt: Date) {
  const [message] = await database.db
    .insert(webhookMessages)
    .values({ siteId, customerId, action: `action-${status}`, payload: {}, contentHash: "h", status, attempts, createdAt })
    .returning();
  for (let n = 1; n <= Math.max(attempts, 1); n++) {
    await database.db.insert(webhookAttempts).values({
      messageId: message!.id,
      siteId,
      customerId,
      action: message!.action,
      attemptNo: n,
      status: n < attempts ? "resent" : status,
      scheduledAt: createdAt,
      createdAt: new Date(createdAt.getTime() + n * 10_000),
      responseCode: n < attempts ? 500 : null,
    });
  }
  return message!;
}

describe("the backoffice pages' queries", () => {
  it("Queue lists only messages in flight, newest first, with the attempts sent so far", async () => {
    const t = Date.now();
    const done = await addMessage("done", 1, new Date(t - 4000));
    const failed = await addMessage("failed", 5, new Date(t - 3000));
    const queued = await addMessage("queued", 1, new Date(t - 2000));
    const resent = await addMessage("resent", 3, new Date(t - 1000));
    const { items: queue } = await listInFlight(database.db, {});
    expect(queue.map((m) => m.id)).toEqual([resent.id, queued.id]);
    expect(queue.map((m) => m.attempts)).toEqual([3, 1]);
    expect(queue[0]).toMatchObject({ customerName: "Ada", siteName: "CRM", status: "resent" });
    expect(queue.map((m) => m.id)).not.toContain(done.id);
    expect(queue.map((m) => m.id)).not.toContain(failed.id);

    const { items: logs } = await listAttemptLogs(database.db, {});
    const times = logs.map((a) => a.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(logs).toHaveLength(1 + 5 + 1 + 3);
    expect(logs[0]).toMatchObject({ siteName: "CRM", customerName: "Ada" });
  });

  it("the customer profile shows that customer's messages, and nothing for unknown or malformed ids", async () => {
    expect((await getCustomer(database.db, customerId))?.email).toBe("ada@example.com");
    expect((await listCustomerMessages(database.db, customerId)).length).toBeGreaterThan(0);
    expect(await getCustomer(database.db, "00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await getCustomer(database.db, "not-a-uuid")).toBeNull();
  });

  it("the site list never carries auth parameters", async () => {
    const [site] = await listSites(database.db);
    expect(site).toMatchObject({ name: "CRM", status: "draft", authMethod: "basic", contentType: "application/json" });
    expect(JSON.stringify(site)).not.toContain("enc:xyz");
  });
});

describe("the schema's guarantees", () => {
  const pgCode = (p: Promise<unknown>) => p.then(() => null, (e: { cause?: { code?: string }; code?: string }) => e.cause?.code ?? e.code);

  it("site names are unique and pacing must be positive", async () => {
    expect(await pgCode(database.db.insert(trustedSites).values({ name: "CRM", url: "https://x" }))).toBe("23505");
    expect(await pgCode(database.db.insert(trustedSites).values({ name: "Zero", url: "https://x", rps: 0 }))).toBe("23514");
  });

  it("an idempotency key is unique per site, and messages without one never collide", async () => {
    const message = { siteId, customerId, action: "a", payload: {}, contentHash: "h" };
    await database.db.insert(webhookMessages).values([message, message]);
    await database.db.insert(webhookMessages).values({ ...message, idempotencyKey: "k1" });
    expect(await pgCode(database.db.insert(webhookMessages).values({ ...message, idempotencyKey: "k1" }))).toBe("23505");
  });

  // Attempts have no foreign key (schema.ts): deleteSite deletes them, tested in manage-sites.test.ts.
  it("deleting a site removes its messages", async () => {
    const [other] = await database.db.insert(trustedSites).values({ name: "Gone", url: "https://gone" }).returning();
    await database.db.insert(webhookMessages).values({ siteId: other!.id, customerId, action: "a", payload: {}, contentHash: "h" });
    await database.db.delete(trustedSites).where(eq(trustedSites.id, other!.id));
    expect(await database.db.select().from(webhookMessages).where(eq(webhookMessages.siteId, other!.id))).toEqual([]);
  });
});
