import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAttemptPartitions } from "@/lib/db/attempt-partitions";
import { webhookAttempts } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { attemptLogsQuery, listAttemptLogs } from "@/lib/webhooks/read-messages";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";

/**
 * The Logs look at the last hour, day and week before the whole retention (read-messages.ts): what a
 * user pages through must be every attempt, once, newest first, whichever span a page came from.
 */
let database: TestDatabase;
const minute = 60_000;
const day = 24 * 60 * minute;
// Ages of the attempts: within the hour, the day, the week, the retention, and one a minute ahead (a clock off).
const ages = [-1 * minute, 1 * minute, 30 * minute, 59 * minute, 2 * 60 * minute, 20 * 60 * minute, 3 * day, 6.9 * day, 10 * day, 40 * day, 80 * day];
const statusOf = (i: number) => (i % 3 === 0 ? "failed" : "done");
let expected: { id: string; createdAt: number; status: string }[];

beforeAll(async () => {
  database = await createTestDatabase();
  await createAttemptPartitions(database.db, new Date(Date.now() - 85 * day), new Date());
  const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
  const customerId = await insertCustomer(database.db);
  const now = Date.now();
  for (const [i, age] of ages.entries()) {
    const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { i } });
    const createdAt = new Date(now - age);
    await database.db.update(webhookAttempts).set({ createdAt, scheduledAt: createdAt, status: statusOf(i) }).where(eq(webhookAttempts.messageId, id));
  }
  const rows = await database.db.select({ id: webhookAttempts.id, createdAt: webhookAttempts.createdAt, status: webhookAttempts.status }).from(webhookAttempts);
  expected = rows.map((r) => ({ id: String(r.id), createdAt: r.createdAt.getTime(), status: r.status }));
  expected.sort((a, b) => b.createdAt - a.createdAt || Number(BigInt(b.id) - BigInt(a.id)));
});
afterAll(() => database?.drop());

async function pageThrough(query: Record<string, string | number>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const result: Awaited<ReturnType<typeof listAttemptLogs>> = await listAttemptLogs(database.db, { ...query, ...(cursor ? { cursor } : {}) });
    seen.push(...result.items.map((item) => String(item.id)));
    cursor = result.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error("paging did not end");
}

describe("Logs pages across the spans they are read in", () => {
  it.each([1, 2, 3, 4, 50])("list every attempt once, newest first, %i per page", async (limit) => {
    expect(await pageThrough({ limit })).toEqual(expected.map((r) => r.id));
  });

  it("keep a filter and a From bound while widening", async () => {
    expect(await pageThrough({ limit: 2, status: "failed" })).toEqual(expected.filter((r) => r.status === "failed").map((r) => r.id));
    const from = new Date(Date.now() - 5 * day).toISOString();
    expect(await pageThrough({ limit: 3, from })).toEqual(expected.filter((r) => r.createdAt >= Date.parse(from)).map((r) => r.id));
  });

  it("plan only the partitions of the span a page is read in", async () => {
    const partitionsPlanned = async (since?: Date) => {
      const { sql: text, params } = attemptLogsQuery(database.db, { limit: 50 }, since).toSQL();
      const plan = (await database.sql.unsafe(`explain ${text}`, params as never[])).map((r) => r["QUERY PLAN"]).join("\n");
      return new Set(plan.match(/webhook_attempts_(\d{8}|default)/g)).size;
    };
    // The whole retention: every day created (85 back, 7 ahead) and the default partition.
    expect(await partitionsPlanned()).toBeGreaterThan(85);
    // The last hour: today, maybe yesterday, the days ahead and the default partition.
    expect(await partitionsPlanned(new Date(Date.now() - 3_600_000))).toBeLessThanOrEqual(10);
  });
});
