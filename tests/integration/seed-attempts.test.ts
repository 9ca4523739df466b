import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED_CUSTOMER_COUNT, SEED_SITE_URL, SEED_SITES, SeedDataPresentError, seedDeliveryHistory, type SeededHistory } from "@/lib/delivery/seed-deliveries";
import { claimDueAndReserve } from "@/lib/delivery/claim-and-reserve";
import { databaseClock } from "@/lib/delivery/database-clock";
import { listAttemptLogs, listInFlight } from "@/lib/webhooks/read-messages";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

const ATTEMPTS = 2000;

let database: TestDatabase;
let seeded: SeededHistory;
beforeAll(async () => {
  database = await createTestDatabase();
  seeded = await seedDeliveryHistory(database.db, { attempts: ATTEMPTS });
});
afterAll(() => database.drop());

const one = async <T>(query: Promise<T[]>) => (await query)[0]!;

describe("db:seed --attempts N", () => {
  it("makes exactly N attempts, for a thousand customers and a few active sites", async () => {
    const counts = await one(database.sql<{ attempts: number; messages: number; customers: number; sites: number }[]>`
      select (select count(*) from webhook_attempts)::int as attempts, (select count(*) from webhook_messages)::int as messages,
        (select count(*) from customers)::int as customers,
        (select count(*) from trusted_sites where status = 'active' and auth_method = 'none' and url = ${SEED_SITE_URL})::int as sites`);
    expect(counts).toEqual({ attempts: ATTEMPTS, messages: seeded.messages, customers: SEED_CUSTOMER_COUNT, sites: SEED_SITES.length });
    expect(seeded).toMatchObject({ attempts: ATTEMPTS, sites: SEED_SITES.length, customers: SEED_CUSTOMER_COUNT });
  });

  it("gives every message the status of its last attempt, attempts numbered 1..n, resent before the last", async () => {
    const broken = await database.sql<{ id: string }[]>`
      select m.id from webhook_messages m
      join lateral (
        select count(*)::int as n, min(attempt_no) as first, max(attempt_no) as last,
          count(*) filter (where status = 'resent' and attempt_no < m.attempts)::int as resent,
          (array_agg(status order by attempt_no desc))[1] as last_status,
          bool_and(site_id = m.site_id and customer_id = m.customer_id and action = m.action) as same_message
        from webhook_attempts a where a.message_id = m.id
      ) a on true
      where a.n <> m.attempts or a.first <> 1 or a.last <> m.attempts or a.resent <> m.attempts - 1
        or a.last_status <> m.status or not a.same_message`;
    expect(broken).toEqual([]);
  });

  it("fails a message only after 5 attempts, and leaves nothing in flight or due for a worker", async () => {
    const statuses = await database.sql<{ status: string; attempts: number; messages: number }[]>`
      select status, attempts, count(*)::int as messages from webhook_messages
      where status in ('queued', 'resent') or (status = 'failed' and attempts <> 5)
        or next_attempt_at is not null or locked_until is not null or finished_at is null
      group by 1, 2`;
    expect(statuses).toEqual([]);
    expect((await claimDueAndReserve(database.db, databaseClock(), { claimToken: randomUUID(), limit: 100, ttlMs: 60_000, horizonMs: 500 })).claimed).toEqual([]);
    expect((await listInFlight(database.db, {})).items).toEqual([]);
  });

  it("looks like real traffic: mostly done at once, some resent then done, some failed, over the last 30 days", async () => {
    const mix = await one(database.sql<{ done1: number; resentDone: number; failed: number; actions: number; oldest: number; newest: number; bad: number }[]>`
      select count(*) filter (where status = 'done' and attempts = 1)::int as "done1",
        count(*) filter (where status = 'done' and attempts > 1)::int as "resentDone",
        count(*) filter (where status = 'failed')::int as failed,
        count(distinct action)::int as actions,
        (extract(epoch from now() - min(created_at)) / 86400)::float8 as oldest,
        (extract(epoch from now() - max(created_at)) / 60)::float8 as newest,
        (select count(*) from webhook_attempts where (status = 'done') <> (response_code between 200 and 299)
           or (status <> 'done' and error is null) or started_at < scheduled_at or finished_at < started_at
           or finished_at > now())::int as bad
      from webhook_messages`);
    expect(mix.done1).toBeGreaterThan(seeded.messages * 0.7);
    expect(mix.resentDone).toBeGreaterThan(0);
    expect(mix.failed).toBeGreaterThan(0);
    expect(mix.actions).toBeGreaterThanOrEqual(4);
    // About 30 days: the span is planned from the expected attempts per message, so it varies a little.
    expect(mix.oldest).toBeGreaterThan(26);
    expect(mix.oldest).toBeLessThan(34);
    expect(mix.newest).toBeLessThan(60);
    expect(mix.bad).toBe(0);
  });

  it("shows in the Logs, newest first, with site and customer names", async () => {
    const page = await listAttemptLogs(database.db, { status: "failed", limit: 5 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items[0]!.siteName).toMatch(/^Seed: /);
    expect(page.items[0]!.customerName).toBeTruthy();
  });

  it("filters the Logs by a time range: from inclusive, to exclusive, offsets honoured", async () => {
    const [newest] = (await listAttemptLogs(database.db, { limit: 1 })).items;
    const at = newest!.createdAt.toISOString();
    const inRange = await listAttemptLogs(database.db, { from: at, to: new Date(newest!.createdAt.getTime() + 1).toISOString() });
    expect(inRange.items.map((a) => a.id)).toContain(newest!.id);
    expect(inRange.items.every((a) => a.createdAt.getTime() === newest!.createdAt.getTime())).toBe(true);
    expect((await listAttemptLogs(database.db, { to: at, limit: 200 })).items.map((a) => a.id)).not.toContain(newest!.id);
    const day = await listAttemptLogs(database.db, { from: "2000-01-01T00:00:00+02:00", to: "2000-01-02T00:00:00+02:00" });
    expect(day.items).toEqual([]);
    await expect(listAttemptLogs(database.db, { from: "yesterday" })).rejects.toMatchObject({ issues: [{ path: ["from"] }] });
  });

  it("refuses to seed a second history over the first", async () => {
    await expect(seedDeliveryHistory(database.db, { attempts: 10 })).rejects.toBeInstanceOf(SeedDataPresentError);
    const [{ n }] = (await database.sql<{ n: number }[]>`select count(*)::int as n from webhook_attempts`) as unknown as [{ n: number }];
    expect(n).toBe(ATTEMPTS);
  });
});
