import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDueReservingFirst } from "@/lib/delivery/claim-idle-send";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { databaseClock } from "@/lib/delivery/database-clock";
import { enqueue } from "@/lib/delivery/enqueue";
import { emissionIntervalMs, releaseLease, reserveSend } from "@/lib/delivery/reserve-send";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";

let database: TestDatabase;
let customerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await database?.drop();
});

const HORIZON_MS = 500;
const TIMEOUT_MS = 2_000;

const queue = async (siteId: string) => (await enqueue(database.db, { siteId, customerId, action: "order.created", payload: {} })).id;

/** What an idle worker's claim pass asks for (every message the tests queued is due). */
function idleClaim(clock = databaseClock()) {
  return claimDueReservingFirst(database.db, clock, randomUUID(), 10, 30_000, HORIZON_MS);
}

async function leases(siteId: string) {
  return database.db.execute<{ message_id: string; expires_in_ms: number }>(sql`
    select message_id, extract(epoch from expires_at - clock_timestamp())::float8 * 1000 as expires_in_ms
    from site_leases where site_id = ${siteId} and expires_at > clock_timestamp() order by slot`);
}

async function tatOf(siteId: string): Promise<number> {
  const [row] = await database.db.execute<{ tat_ms: number }>(sql`
    select extract(epoch from theoretical_arrival_at)::float8 * 1000 as tat_ms from site_pacing where site_id = ${siteId}`);
  return row!.tat_ms;
}

/** A site whose slot rows and pacing row exist: its first send made them (through reserveSend's two statements). */
async function siteSentToBefore(site: { rps: number; threads: number }) {
  const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/hook", timeoutMs: TIMEOUT_MS, ...site });
  const first = (await claimMessage(database.db, await queue(siteId), randomUUID(), 30_000))!;
  const reserved = await reserveSend(database.db, {
    siteId, messageId: first.id, claimToken: first.claimToken, attemptNo: 1, ...site, leaseTtlMs: 10_000, horizonMs: HORIZON_MS,
  });
  if (reserved.kind !== "reserved") throw new Error(`not reserved: ${reserved.kind}`);
  await releaseLease(database.db, reserved.leaseId, first.id);
  return siteId;
}

describe("claimDueReservingFirst: an idle worker's claim reserves its first send in the same statement", () => {
  it("at a site never sent to (no slot or pacing rows) claims and reserves nothing (the attempt reserves as usual)", async () => {
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/hook" });
    const id = await queue(siteId);
    const { claimed, reserved } = await idleClaim();
    expect(claimed.map((m) => m.id)).toEqual([id]);
    expect(reserved).toBeUndefined();
    expect((await messageRow(database.db, id)).attemptStartedAt).toBeNull();
  });

  it("reserves a thread and the next GCRA start for the oldest message, marks it started (not interrupted), and leaves the others to their attempts", async () => {
    const site = { rps: 10, threads: 3 };
    const siteId = await siteSentToBefore(site);
    const tatBefore = await tatOf(siteId);
    const [a, b] = [await queue(siteId), await queue(siteId)];
    const clock = databaseClock();
    const { claimed, reserved } = await idleClaim(clock);
    expect(claimed.map((m) => m.id).sort()).toEqual([a, b].sort());
    expect(claimed.every((m) => !m.attempt.interrupted)).toBe(true);
    if (reserved?.outcome.kind !== "reserved") throw new Error(`not reserved: ${reserved?.outcome.kind}`);
    expect(reserved.messageId).toBe(a);
    // The start siteSentToBefore booked came first: this one is at least an interval after it.
    expect(reserved.outcome.startAt).toBeGreaterThanOrEqual(tatBefore - 0.01);
    expect(await tatOf(siteId)).toBeCloseTo(reserved.outcome.startAt + emissionIntervalMs(site.rps), 0);
    expect(Number.isFinite(clock.uncertaintyMs())).toBe(true);
    const held = await leases(siteId);
    expect(held.map((l) => l.message_id)).toEqual([a]);
    expect(held[0]!.expires_in_ms).toBeGreaterThan(HORIZON_MS + 2 * TIMEOUT_MS + 4_000);
    expect(held[0]!.expires_in_ms).toBeLessThanOrEqual(HORIZON_MS + 2 * TIMEOUT_MS + 5_000);
    const [rowA, rowB] = [await messageRow(database.db, a), await messageRow(database.db, b)];
    expect([rowA.attempts, rowA.attemptStartedAt !== null]).toEqual([1, true]);
    expect([rowB.attempts, rowB.attemptStartedAt]).toEqual([0, null]);

    // The next idle claim's start is one interval after this one, as reserveSend's would be.
    const c = await queue(siteId);
    const next = await idleClaim();
    expect(next.claimed.map((m) => m.id)).toEqual([c]);
    if (next.reserved?.outcome.kind !== "reserved") throw new Error("not reserved");
    expect(next.reserved.outcome.startAt - reserved.outcome.startAt).toBeCloseTo(emissionIntervalMs(site.rps), 3);
    // Booking numbers count on from siteSentToBefore's start (0), as reserveSend's do: departure holds bind by them.
    expect([reserved.outcome.booking, next.reserved.outcome.booking]).toEqual([1, 2]);
  });

  it("an interrupted attempt (started, its claim lapsed) is claimed as interrupted and reserves nothing; the next message gets the reservation", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 5 });
    const interrupted = await queue(siteId);
    await database.db.execute(sql`
      update webhook_messages set attempts = 1, attempt_started_at = clock_timestamp(), locked_by = ${randomUUID()},
        locked_until = clock_timestamp() - interval '1 second'
      where id = ${interrupted}`);
    const fresh = await queue(siteId);
    const { claimed, reserved } = await idleClaim();
    expect(claimed.find((m) => m.id === interrupted)?.attempt.interrupted).toBe(true);
    expect(claimed.find((m) => m.id === fresh)?.attempt.interrupted).toBe(false);
    expect(reserved?.messageId).toBe(fresh);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([fresh]);
  });

  it("a site booked beyond the horizon, or being deactivated (TAT infinite), gets no start: nothing reserved, the message only claimed", async () => {
    const siteId = await siteSentToBefore({ rps: 1, threads: 2 });
    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() + interval '2 seconds' where site_id = ${siteId}`);
    const first = await queue(siteId);
    const booked = await idleClaim();
    expect(booked.claimed.map((m) => m.id)).toEqual([first]);
    if (booked.reserved?.outcome.kind !== "booked") throw new Error(`not booked: ${booked.reserved?.outcome.kind}`);
    expect(booked.reserved.outcome.retryInMs).toBeGreaterThan(1_000);
    expect(booked.reserved.outcome.retryInMs).toBeLessThanOrEqual(2_000 - HORIZON_MS);

    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = 'infinity' where site_id = ${siteId}`);
    const second = await queue(siteId);
    const deactivating = await idleClaim();
    expect(deactivating.claimed.map((m) => m.id)).toEqual([second]);
    expect(deactivating.reserved?.outcome).toEqual({ kind: "booked", retryInMs: 50 });
    expect(await leases(siteId)).toEqual([]);
    for (const id of [first, second]) {
      const row = await messageRow(database.db, id);
      expect([row.attempts, row.attemptStartedAt]).toEqual([0, null]);
    }
  });
});
