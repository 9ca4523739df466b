import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimMessage, type ClaimedMessage } from "@/lib/delivery/claim-messages";
import { enqueue } from "@/lib/delivery/enqueue";
import { reserveIdleSend } from "@/lib/delivery/reserve-idle-send";
import { emissionIntervalMs, releaseLease, reserveSend, type SendReservation } from "@/lib/delivery/reserve-send";
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

async function claimedAt(siteId: string, count = 1): Promise<ClaimedMessage[]> {
  const claimed: ClaimedMessage[] = [];
  for (let i = 0; i < count; i++) {
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.created", payload: { i } });
    claimed.push((await claimMessage(database.db, id, randomUUID(), 30_000))!);
  }
  return claimed;
}

function reservationOf(message: ClaimedMessage, site: { rps: number; threads: number }): SendReservation {
  return {
    siteId: message.site.id,
    messageId: message.id,
    claimToken: message.claimToken,
    attemptNo: message.attempt.attemptNo,
    rps: site.rps,
    threads: site.threads,
    leaseTtlMs: 10_000,
    horizonMs: HORIZON_MS,
  };
}

async function leaseHolders(siteId: string) {
  const rows = await database.db.execute<{ message_id: string | null }>(sql`
    select message_id from site_leases where site_id = ${siteId} and expires_at > clock_timestamp() order by slot`);
  return rows.map((r) => r.message_id);
}

async function tatOf(siteId: string): Promise<number> {
  const [row] = await database.db.execute<{ tat_ms: number }>(sql`
    select extract(epoch from theoretical_arrival_at)::float8 * 1000 as tat_ms from site_pacing where site_id = ${siteId}`);
  return row!.tat_ms;
}

/** A site whose slot rows and pacing row exist (its first send made them, through the two statements). */
async function siteUsedBefore(site: { rps: number; threads: number }) {
  const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/hook", ...site });
  const [first] = await claimedAt(siteId);
  const reserved = await reserveSend(database.db, reservationOf(first!, site));
  expect(reserved.kind).toBe("reserved");
  if (reserved.kind === "reserved") await releaseLease(database.db, reserved.leaseId, first!.id);
  return siteId;
}

describe("reserveIdleSend: a send's thread and start in one statement", () => {
  it("at a site never sent to (no slot or pacing rows) leaves it to the two statements, writing nothing", async () => {
    const site = { rps: 10, threads: 2 };
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/hook", ...site });
    const [message] = await claimedAt(siteId);
    expect(await reserveIdleSend(database.db, reservationOf(message!, site))).toBeNull();
    expect((await messageRow(database.db, message!.id)).attemptStartedAt).toBeNull();
  });

  it("takes a thread, marks the attempt started and books starts one interval apart, shared with the two statements' GCRA", async () => {
    const site = { rps: 10, threads: 3 };
    const siteId = await siteUsedBefore(site);
    const [a, b] = await claimedAt(siteId, 2);
    const first = await reserveIdleSend(database.db, reservationOf(a!, site));
    const second = await reserveIdleSend(database.db, reservationOf(b!, site));
    if (first?.kind !== "reserved" || second?.kind !== "reserved") throw new Error(`not reserved: ${first?.kind}, ${second?.kind}`);
    // The first send of siteUsedBefore booked a start too: these come after it, one interval apart.
    expect(second.startAt - first.startAt).toBeCloseTo(emissionIntervalMs(site.rps), 3);
    expect(await tatOf(siteId)).toBeCloseTo(second.startAt + emissionIntervalMs(site.rps), 0);
    expect(first.startAt).toBeGreaterThanOrEqual(first.databaseNow - 1);
    expect((await leaseHolders(siteId)).sort()).toEqual([a!.id, b!.id].sort());
    const row = await messageRow(database.db, a!.id);
    expect(row.attempts).toBe(1);
    expect(row.attemptStartedAt).not.toBeNull();
  });

  it("keeps the thread limit: with every thread busy it takes none and leaves it to the two statements", async () => {
    const site = { rps: 1000, threads: 1 };
    const siteId = await siteUsedBefore(site);
    const [a, b] = await claimedAt(siteId, 2);
    expect((await reserveIdleSend(database.db, reservationOf(a!, site)))?.kind).toBe("reserved");
    const tat = await tatOf(siteId);
    expect(await reserveIdleSend(database.db, reservationOf(b!, site))).toBeNull();
    expect(await leaseHolders(siteId)).toEqual([a!.id]);
    expect(await tatOf(siteId)).toBe(tat);
    expect((await messageRow(database.db, b!.id)).attemptStartedAt).toBeNull();
  });

  it("reserves nothing for a message its claim no longer holds, nor at a site that is not active", async () => {
    const site = { rps: 1000, threads: 2 };
    const siteId = await siteUsedBefore(site);
    const [message] = await claimedAt(siteId);
    const tat = await tatOf(siteId);
    expect(await reserveIdleSend(database.db, { ...reservationOf(message!, site), claimToken: randomUUID() })).toEqual({ kind: "lost" });
    await database.db.execute(sql`update trusted_sites set status = 'inactive' where id = ${siteId}`);
    expect(await reserveIdleSend(database.db, reservationOf(message!, site))).toEqual({ kind: "paused" });
    expect(await leaseHolders(siteId)).toEqual([]);
    expect(await tatOf(siteId)).toBe(tat);
    expect((await messageRow(database.db, message!.id)).attemptStartedAt).toBeNull();
  });

  it("a site booked beyond the horizon, or being deactivated (TAT infinite), gets no start and keeps its thread free", async () => {
    const site = { rps: 1, threads: 2 };
    const siteId = await siteUsedBefore(site);
    const [message] = await claimedAt(siteId);
    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() + interval '2 seconds' where site_id = ${siteId}`);
    const booked = await reserveIdleSend(database.db, reservationOf(message!, site));
    if (booked?.kind !== "booked") throw new Error(`not booked: ${booked?.kind}`);
    expect(booked.retryInMs).toBeGreaterThan(1_000);
    expect(booked.retryInMs).toBeLessThanOrEqual(2_000 - HORIZON_MS);
    await database.db.execute(sql`update site_pacing set theoretical_arrival_at = 'infinity' where site_id = ${siteId}`);
    expect(await reserveIdleSend(database.db, reservationOf(message!, site))).toEqual({ kind: "booked", retryInMs: 50 });
    expect(await leaseHolders(siteId)).toEqual([]);
    const row = await messageRow(database.db, message!.id);
    expect(row.attempts).toBe(0);
    expect(row.attemptStartedAt).toBeNull();
  });
});
