import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDueAndReserve, releaseLostClaims, type HandedOnSlot } from "@/lib/delivery/claim-and-reserve";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { databaseClock } from "@/lib/delivery/database-clock";
import { enqueue } from "@/lib/delivery/enqueue";
import { recordOutcome } from "@/lib/delivery/record-outcome";
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

/** What a worker's claim pass asks for (every message the tests queued is due). */
function claimPass(clock = databaseClock(), handOn: HandedOnSlot[] = []) {
  return claimDueAndReserve(database.db, clock, { claimToken: randomUUID(), limit: 10, ttlMs: 30_000, horizonMs: HORIZON_MS, handOn });
}

function reservedStart(claim: Awaited<ReturnType<typeof claimPass>>, id: string) {
  const outcome = claim.reserved.get(id);
  if (outcome?.kind !== "reserved") throw new Error(`${id} not reserved: ${outcome?.kind}`);
  return outcome;
}

async function startedMark(id: string) {
  const row = await messageRow(database.db, id);
  return [row.attempts, row.attemptStartedAt !== null];
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

describe("claimDueAndReserve: a worker's claim reserves its messages' sends in the same statement", () => {
  it("at a site never sent to (no slot or pacing rows) claims and reserves nothing (the attempt reserves as usual)", async () => {
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/hook" });
    const id = await queue(siteId);
    const { claimed, reserved } = await claimPass();
    expect(claimed.map((m) => m.id)).toEqual([id]);
    expect(reserved.size).toBe(0);
    expect((await messageRow(database.db, id)).attemptStartedAt).toBeNull();
  });

  it("reserves a thread and consecutive GCRA starts for the messages in due order, and marks them started (not interrupted)", async () => {
    const site = { rps: 10, threads: 3 };
    const siteId = await siteSentToBefore(site);
    const tatBefore = await tatOf(siteId);
    const [a, b] = [await queue(siteId), await queue(siteId)];
    const clock = databaseClock();
    const claim = await claimPass(clock);
    expect(claim.claimed.map((m) => m.id).sort()).toEqual([a, b].sort());
    expect(claim.claimed.every((m) => !m.attempt.interrupted)).toBe(true);
    const [first, second] = [reservedStart(claim, a), reservedStart(claim, b)];
    // The start siteSentToBefore booked came first: these are at least an interval after it, one interval apart.
    expect(first.startAt).toBeGreaterThanOrEqual(tatBefore - 0.01);
    expect(second.startAt - first.startAt).toBeCloseTo(emissionIntervalMs(site.rps), 3);
    expect(await tatOf(siteId)).toBeCloseTo(second.startAt + emissionIntervalMs(site.rps), 0);
    expect(Number.isFinite(clock.uncertaintyMs())).toBe(true);
    const held = await leases(siteId);
    expect(held.map((l) => l.message_id)).toEqual([a, b]);
    for (const lease of held) {
      expect(lease.expires_in_ms).toBeGreaterThan(HORIZON_MS + 2 * TIMEOUT_MS + 4_000);
      expect(lease.expires_in_ms).toBeLessThanOrEqual(HORIZON_MS + 2 * TIMEOUT_MS + 5_000);
    }
    expect([await startedMark(a), await startedMark(b)]).toEqual([[1, true], [1, true]]);

    // The next claim's start is one interval after these, as reserveSend's would be.
    const c = await queue(siteId);
    const next = await claimPass();
    expect(next.claimed.map((m) => m.id)).toEqual([c]);
    expect(reservedStart(next, c).startAt - second.startAt).toBeCloseTo(emissionIntervalMs(site.rps), 3);
    // Booking numbers count on from siteSentToBefore's start (0), as reserveSend's do: departure holds bind by them.
    expect([first.booking, second.booking, reservedStart(next, c).booking]).toEqual([1, 2, 3]);
  });

  it("a message for which no slot row is free (threads raised, rows not yet added) is claimed without a reservation", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 1 });
    await database.db.execute(sql`update trusted_sites set threads = 3 where id = ${siteId}`);
    const [a, b] = [await queue(siteId), await queue(siteId)];
    const claim = await claimPass();
    expect(claim.claimed.map((m) => m.id).sort()).toEqual([a, b].sort());
    reservedStart(claim, a);
    expect(claim.reserved.has(b)).toBe(false);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([a]);
    expect(await startedMark(b)).toEqual([0, false]);
  });

  it("an interrupted attempt (started, its claim lapsed) is claimed as interrupted and reserves nothing; the next message gets the reservation", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 5 });
    const interrupted = await queue(siteId);
    await database.db.execute(sql`
      update webhook_messages set attempts = 1, attempt_started_at = clock_timestamp(), locked_by = ${randomUUID()},
        locked_until = clock_timestamp() - interval '1 second'
      where id = ${interrupted}`);
    const fresh = await queue(siteId);
    const claim = await claimPass();
    expect(claim.claimed.find((m) => m.id === interrupted)?.attempt.interrupted).toBe(true);
    expect(claim.claimed.find((m) => m.id === fresh)?.attempt.interrupted).toBe(false);
    expect([...claim.reserved.keys()]).toEqual([fresh]);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([fresh]);
  });

  it("starts go as far as the horizon reaches; the messages beyond it take nothing and are told how far the site is booked", async () => {
    // 4 rps: an interval of 252.5 ms, so a 500 ms horizon holds two starts from now.
    const siteId = await siteSentToBefore({ rps: 4, threads: 3 });
    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() where site_id = ${siteId}`);
    const [a, b, c] = [await queue(siteId), await queue(siteId), await queue(siteId)];
    const claim = await claimPass();
    expect(claim.claimed).toHaveLength(3);
    reservedStart(claim, a);
    reservedStart(claim, b);
    expect(claim.reserved.get(c)).toEqual({ kind: "booked", retryInMs: 50 });
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([a, b]);
    expect(await startedMark(c)).toEqual([0, false]);
  });

  it("hands the slot of a send that is over (its result not yet recorded) to the site's next message; that result's recording leaves it to the new holder", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 1 });
    const a = await queue(siteId);
    const first = await claimPass();
    const slot = reservedStart(first, a).leaseId;
    const b = await queue(siteId);
    // Its one thread is held by a's send: b is not even claimed.
    expect((await claimPass()).claimed).toEqual([]);

    const handedOn = await claimPass(databaseClock(), [{ leaseId: slot, messageId: a, siteId }]);
    expect(handedOn.claimed.map((m) => m.id)).toEqual([b]);
    expect(reservedStart(handedOn, b).leaseId).toBe(slot);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([b]);

    const holderOfA = first.claimed.find((m) => m.id === a)!;
    expect(await recordOutcome(database.db, holderOfA, { succeeded: true, responseCode: 200 }, { retryInMs: null, leaseId: slot })).toEqual({ kind: "done" });
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([b]);
  });

  it("a slot handed on that none of the claimed messages needs is freed by the claim", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 1 });
    const a = await queue(siteId);
    const slot = reservedStart(await claimPass(), a).leaseId;
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([a]);
    const claim = await claimPass(databaseClock(), [{ leaseId: slot, messageId: a, siteId }]);
    expect(claim.claimed).toEqual([]);
    expect(await leases(siteId)).toEqual([]);
  });

  it("a slot handed on after its holder's result released it is taken as a free one, and a slot another message holds is never handed on", async () => {
    const siteId = await siteSentToBefore({ rps: 1000, threads: 1 });
    const a = await queue(siteId);
    const slot = reservedStart(await claimPass(), a).leaseId;
    await releaseLease(database.db, slot, a);
    const b = await queue(siteId);
    const claim = await claimPass(databaseClock(), [{ leaseId: slot, messageId: a, siteId }]);
    expect(reservedStart(claim, b).leaseId).toBe(slot);

    // b holds it now: a stale hand-on naming a again takes nothing.
    const c = await queue(siteId);
    const stale = await claimPass(databaseClock(), [{ leaseId: slot, messageId: a, siteId }]);
    expect(stale.reserved.has(c)).toBe(false);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([b]);
  });

  it("after a claim whose answer was lost, its messages the worker is not on are claimable again at once and their slots are free", async () => {
    const siteId = await siteSentToBefore({ rps: 10, threads: 3 });
    const held = await queue(siteId);
    const lost = await queue(siteId);
    const other = await queue(siteId);
    const lapsed = await queue(siteId);
    const claimToken = randomUUID();
    // One claim the worker saw (held) and one it did not (its answer lost): both reserved slots.
    await claimDueAndReserve(database.db, databaseClock(), { claimToken, limit: 1, ttlMs: 30_000, horizonMs: HORIZON_MS });
    await claimDueAndReserve(database.db, databaseClock(), { claimToken, limit: 2, ttlMs: 30_000, horizonMs: HORIZON_MS });
    expect((await leases(siteId)).map((l) => l.message_id).sort()).toEqual([held, lost, other].sort());
    await database.db.execute(sql`update webhook_messages set locked_by = ${claimToken}, locked_until = clock_timestamp() - interval '1 second' where id = ${lapsed}`);

    expect(await releaseLostClaims(database.db, claimToken, [held])).toBe(2);
    expect((await leases(siteId)).map((l) => l.message_id)).toEqual([held]);
    for (const id of [lost, other]) expect(await messageRow(database.db, id)).toMatchObject({ lockedBy: null, lockedUntil: null });
    expect(await messageRow(database.db, held)).toMatchObject({ lockedBy: claimToken, attempts: 1 });
    // The lost claim's started mark stays: the next claim records that attempt as interrupted.
    expect(await startedMark(lost)).toEqual([1, true]);
    // One whose claim had lapsed is left to be taken over, as before.
    expect(await messageRow(database.db, lapsed)).toMatchObject({ lockedBy: claimToken });
    const next = await claimPass();
    expect(next.claimed.find((m) => m.id === lost)?.attempt.interrupted).toBe(true);
    // Nothing of this site is left due for the tests after this one.
    await database.db.execute(sql`update webhook_messages set status = 'done', locked_by = null, locked_until = null where site_id = ${siteId}`);
  });

  it("a site booked beyond the horizon, or being deactivated (TAT infinite), gets no start: nothing reserved, the message only claimed", async () => {
    const siteId = await siteSentToBefore({ rps: 1, threads: 2 });
    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() + interval '2 seconds' where site_id = ${siteId}`);
    const first = await queue(siteId);
    const booked = await claimPass();
    expect(booked.claimed.map((m) => m.id)).toEqual([first]);
    const outcome = booked.reserved.get(first);
    if (outcome?.kind !== "booked") throw new Error(`not booked: ${outcome?.kind}`);
    expect(outcome.retryInMs).toBeGreaterThan(1_000);
    expect(outcome.retryInMs).toBeLessThanOrEqual(2_000 - HORIZON_MS);

    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = 'infinity' where site_id = ${siteId}`);
    const second = await queue(siteId);
    const deactivating = await claimPass();
    expect(deactivating.claimed.map((m) => m.id)).toEqual([second]);
    expect(deactivating.reserved.get(second)).toEqual({ kind: "booked", retryInMs: 50 });
    expect(await leases(siteId)).toEqual([]);
    for (const id of [first, second]) expect(await startedMark(id)).toEqual([0, false]);
  });
});
