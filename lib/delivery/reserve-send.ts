import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";

/**
 * Pacing per site (DESIGN §4), global across workers because the state lives in PostgreSQL.
 *
 * rps is a GCRA without burst: the site's theoretical arrival time (TAT) advances by one emission
 * interval per request, and a request's start is max(TAT, now). The interval is a little longer than
 * 1/rps so that jitter between reserving a start and the bytes reaching the receiver cannot squeeze
 * rps+1 arrivals into a second; the achieved rate stays at 98 % of the limit.
 *
 * threads are slot rows (site_leases): a send holds one slot until it releases it or, if its worker
 * died, until the lease expires.
 */
const EMISSION_MARGIN = 0.02;

/**
 * Makes the statement's own transaction commit without waiting for its WAL flush. The site's pacing
 * row is locked until commit, so with a synchronous commit every send to a site would queue behind
 * the previous one's disk flush (~3 ms here: a ceiling of ~350 sends/s per site). What a database
 * crash could lose this way is pacing and lease state, not messages or results (those commit
 * synchronously): after a crash a site may see one burst above its rps.
 */
export const ASYNC_COMMIT = sql`set_config('synchronous_commit', 'off', true)`;

export function emissionIntervalMs(rps: number): number {
  return (1000 / rps) * (1 + EMISSION_MARGIN);
}

export interface SendReservation {
  siteId: string;
  messageId: string;
  /** The claim the message is held by: nothing is reserved for a claim that has passed to another worker. */
  claimToken: string;
  attemptId: number;
  attemptNo: number;
  rps: number;
  threads: number;
  leaseTtlMs: number;
  /** How far ahead a start may be reserved; a site booked further than this is postponed instead. */
  horizonMs: number;
}

export type ReserveOutcome =
  /** The claim expired and another worker holds the message now. */
  | { kind: "lost" }
  /** `startAt` is on the database's clock, as is `databaseNow` (read as the statement ended). */
  | { kind: "reserved"; leaseId: number; startAt: number; databaseNow: number }
  /** Every thread of the site is busy. */
  | { kind: "no-thread" }
  /** The site is not active (or is being deactivated): nothing is reserved, see pause-site.ts. */
  | { kind: "paused" }
  /** The site's starts are booked beyond the horizon; try again in `retryInMs`. */
  | { kind: "booked"; retryInMs: number };

/**
 * In one statement: takes a free thread slot, reserves the next start, and marks the attempt (and
 * the message's count) started — so a worker that dies from here on leaves an interrupted attempt.
 * Clock reads use clock_timestamp(), taken after any row lock wait, never the statement's start.
 * Nothing is reserved for a site that is not active, nor while a deactivation holds its pacing row
 * (its TAT is then infinite, which the upsert re-reads after waiting for the lock).
 */
export async function reserveSend(db: Database, r: SendReservation): Promise<ReserveOutcome> {
  const interval = emissionIntervalMs(r.rps);
  for (;;) {
    const [row] = await executePrepared<{
      held: boolean;
      active: boolean;
      lease_id: string | null;
      start_ms: number | null;
      now_ms: number;
      booked_ms: number | null;
    }>(db, sql`
      with held as (
        select 1 from webhook_messages where id = ${r.messageId} and locked_by = ${r.claimToken}
      ), active as (
        select 1 from trusted_sites where id = ${r.siteId} and status = 'active'
      ), free as (
        select id from site_leases
        where site_id = ${r.siteId} and slot < ${r.threads} and expires_at <= clock_timestamp()
          and exists (select 1 from held) and exists (select 1 from active)
        order by slot limit 1 for update skip locked
      ), lease as (
        update site_leases l
        set message_id = ${r.messageId}, expires_at = clock_timestamp() + ${r.leaseTtlMs}::float8 * interval '1 millisecond'
        from free where l.id = free.id
        returning l.id
      ), pace as (
        insert into site_pacing as p (site_id, theoretical_arrival_at)
        select ${r.siteId}, clock_timestamp() + ${interval}::float8 * interval '1 millisecond' from lease
        on conflict (site_id) do update
          set theoretical_arrival_at = greatest(p.theoretical_arrival_at, clock_timestamp()) + ${interval}::float8 * interval '1 millisecond'
          where p.theoretical_arrival_at <= clock_timestamp() + ${r.horizonMs}::float8 * interval '1 millisecond'
        returning theoretical_arrival_at - ${interval}::float8 * interval '1 millisecond' as start_at
      ), started as (
        update webhook_attempts set started_at = (select start_at from pace)
        where id = ${r.attemptId} and exists (select 1 from pace)
        returning id
      ), counted as (
        update webhook_messages set attempts = ${r.attemptNo}
        where id = ${r.messageId} and exists (select 1 from started)
        returning id
      )
      select exists (select 1 from held) as held, exists (select 1 from active) as active, (select id from lease) as lease_id,
        (select extract(epoch from start_at)::float8 * 1000 from pace) as start_ms,
        extract(epoch from clock_timestamp())::float8 * 1000 as now_ms,
        (select extract(epoch from theoretical_arrival_at - clock_timestamp())::float8 * 1000
           from site_pacing where site_id = ${r.siteId} and theoretical_arrival_at < 'infinity') as booked_ms,
        (select count(*) from counted) as counted,
        ${ASYNC_COMMIT} as async_commit`);
    if (!row?.held) return { kind: "lost" };
    if (!row.active) return { kind: "paused" };
    if (row.lease_id != null && row.start_ms != null) {
      return { kind: "reserved", leaseId: Number(row.lease_id), startAt: row.start_ms, databaseNow: row.now_ms };
    }
    if (row.lease_id != null) {
      await releaseLease(db, Number(row.lease_id), r.messageId);
      return { kind: "booked", retryInMs: Math.max(50, (row.booked_ms ?? 0) - r.horizonMs) };
    }
    if (!(await addMissingSlots(db, r.siteId, r.threads))) return { kind: "no-thread" };
  }
}

/** Creates the site's slot rows up to `threads` (a new site, or more threads); false when none were missing. */
async function addMissingSlots(db: Database, siteId: string, threads: number): Promise<boolean> {
  const added = await executePrepared(db, sql`
    insert into site_leases (site_id, slot, expires_at)
    select ${siteId}, n, '-infinity' from generate_series(0, ${threads - 1}) n
    on conflict (site_id, slot) do nothing
    returning id`);
  return added.length > 0;
}

export async function releaseLease(db: Database, leaseId: number, messageId: string): Promise<void> {
  await executePrepared(db, sql`
    update site_leases set expires_at = '-infinity', message_id = null
    where id = ${leaseId} and message_id = ${messageId}`);
}

/**
 * Reserves a new start for a send that already holds a thread but woke too late for its first one
 * (see attempt-message.ts): the next free start, however far ahead; null once the site is paused.
 */
export async function reserveStartAgain(db: Database, siteId: string, rps: number): Promise<{ startAt: number; databaseNow: number } | null> {
  const interval = emissionIntervalMs(rps);
  const [row] = await executePrepared<{ start_ms: number; now_ms: number }>(db, sql`
    update site_pacing
    set theoretical_arrival_at = greatest(theoretical_arrival_at, clock_timestamp()) + ${interval}::float8 * interval '1 millisecond'
    where site_id = ${siteId} and theoretical_arrival_at < 'infinity'
      and exists (select 1 from trusted_sites where id = ${siteId} and status = 'active')
    returning extract(epoch from theoretical_arrival_at)::float8 * 1000 - ${interval}::float8 as start_ms,
      extract(epoch from clock_timestamp())::float8 * 1000 as now_ms`);
  return row ? { startAt: row.start_ms, databaseNow: row.now_ms } : null;
}
