import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts } from "@/lib/db/schema";
import { attemptsPerMinute, MAX_BUCKETS } from "@/lib/webhooks/attempts-per-minute";
import { enqueue } from "@/lib/delivery/enqueue";
import { logsFilterSchema, logsQuerySchema } from "@/lib/webhooks/logs-query";
import { listAttemptLogs } from "@/lib/webhooks/read-messages";
import { ValidationError } from "@/lib/errors";
import { rebuildAttemptMinutes } from "../../helpers/attempt-minutes";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";

let database: TestDatabase;
let siteId: string;
let otherSite: string;
let customerId: string;
const base = Date.parse("2026-11-10T14:00:00Z");
const at = (minutes: number, seconds = 0) => new Date(base + minutes * 60_000 + seconds * 1000);

type Row = [Date, "queued" | "resent" | "failed" | "done", string?, string?];

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/" });
  otherSite = await insertSite(database.db, { url: "https://other.example/" });
  const rows: Row[] = [
    [at(0, 5), "resent"],
    [at(0, 40), "resent"],
    [at(1, 1), "failed"],
    [at(1, 30), "done"],
    [at(2, 0), "done", otherSite],
    [at(5, 0), "done", siteId, "order.paid"],
    [at(59, 59), "queued"],
    [at(60, 0), "done"], // just outside [14:00, 15:00)
  ];
  // Attempt rows at fixed times (what Logs and the chart count), each on a message of its own.
  for (const [createdAt, status, site = siteId, action = "points.earned"] of rows) {
    const { id } = await enqueue(database.db, { siteId: site, customerId, action, payload: {} });
    await database.db
      .update(webhookAttempts)
      .set({ createdAt, scheduledAt: createdAt, status })
      .where(eq(webhookAttempts.messageId, id));
  }
  // The statuses were set around the delivery core: count them into the rollup as it would have.
  await rebuildAttemptMinutes(database.db, [siteId, otherSite]);
});
afterAll(() => database?.drop());

const hour = { from: at(0).toISOString(), to: at(60).toISOString() };

describe("the Logs filters (one schema for the page, the chart and the API)", () => {
  it("narrow attempts by time range, site, status and action", async () => {
    const all = await listAttemptLogs(database.db, hour);
    expect(all.items).toHaveLength(7);
    expect(all.items[0]!.createdAt).toEqual(at(59, 59));
    expect((await listAttemptLogs(database.db, { ...hour, siteId })).items).toHaveLength(6);
    expect((await listAttemptLogs(database.db, { ...hour, status: "done" })).items).toHaveLength(3);
    expect((await listAttemptLogs(database.db, { ...hour, action: "order.paid" })).items.map((i) => i.createdAt)).toEqual([at(5)]);
    expect((await listAttemptLogs(database.db, { from: at(1).toISOString(), to: at(2).toISOString() })).items).toHaveLength(2);
    expect((await listAttemptLogs(database.db, { from: at(60).toISOString() })).items).toHaveLength(1);
  });

  it("accept ISO date-times with an offset, and refuse bad ones with the field at fault", async () => {
    expect(logsFilterSchema.safeParse({ from: "2026-11-10T16:00:00+02:00" }).success).toBe(true);
    for (const [query, path] of [
      [{ from: "yesterday" }, "from"],
      [{ from: hour.to, to: hour.from }, "to"],
      [{ status: "lost" }, "status"],
      [{ siteId: "site-1" }, "siteId"],
    ] as const) {
      const error = await listAttemptLogs(database.db, query).catch((e: unknown) => e);
      expect(error, JSON.stringify(query)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues!.map((i) => i.path.join("."))).toEqual([path]);
    }
    expect(logsQuerySchema.safeParse({ ...hour, cursor: "1.2", limit: "10" }).success).toBe(true);
  });
});

describe("attempts per minute", () => {
  it("counts attempts per minute and status over an hour, with empty minutes as zeros", async () => {
    const chart = await attemptsPerMinute(database.db, hour);
    expect(chart).toMatchObject({ bucketMs: 60_000, bucketLabel: "minute", shortened: false, from: hour.from, to: hour.to });
    expect(chart.buckets).toHaveLength(60);
    expect(chart.buckets[0]).toEqual({ start: at(0).toISOString(), queued: 0, resent: 2, failed: 0, done: 0 });
    expect(chart.buckets[1]).toEqual({ start: at(1).toISOString(), queued: 0, resent: 0, failed: 1, done: 1 });
    expect(chart.buckets[2]!.done).toBe(1);
    expect(chart.buckets[59]!.queued).toBe(1);
    expect(chart.buckets[3]).toEqual({ start: at(3).toISOString(), queued: 0, resent: 0, failed: 0, done: 0 });
  });

  it("applies the same filters", async () => {
    const chart = await attemptsPerMinute(database.db, { ...hour, siteId: otherSite });
    const totals = chart.buckets.reduce((n, b) => n + b.queued + b.resent + b.failed + b.done, 0);
    expect(totals).toBe(1);
    expect(chart.buckets[2]!.done).toBe(1);
  });

  it("defaults to the hour before now, and uses coarser buckets for long ranges, never more than the maximum", async () => {
    const chart = await attemptsPerMinute(database.db, {}, at(30));
    expect(chart.from).toBe(at(-30).toISOString());
    expect(chart.buckets).toHaveLength(60);
    expect(chart.buckets.reduce((n, b) => n + b.resent, 0)).toBe(2);

    const day = await attemptsPerMinute(database.db, { from: at(-24 * 60).toISOString(), to: at(0).toISOString() });
    expect(day).toMatchObject({ bucketMs: 15 * 60_000, bucketLabel: "15 minutes" });
    expect(day.buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);

    const ninetyDays = await attemptsPerMinute(database.db, { from: at(-90 * 24 * 60).toISOString(), to: at(60).toISOString() });
    expect(ninetyDays).toMatchObject({ bucketMs: 24 * 3_600_000, bucketLabel: "day" });
    expect(ninetyDays.buckets.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(ninetyDays.buckets.at(-1)).toMatchObject({ start: "2026-11-10T00:00:00.000Z", resent: 2, failed: 1, done: 3, queued: 1 });

    const years = await attemptsPerMinute(database.db, { from: "2000-01-01T00:00:00Z", to: at(0).toISOString() });
    expect(years.shortened).toBe(true);
    expect(years.buckets.length).toBe(MAX_BUCKETS);
  });
});
