import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { ASYNC_COMMIT, emissionIntervalMs, liveHolds, type ReserveOutcome, type SendReservation } from "./reserve-send";

/**
 * reserveSend in one statement, for a send its process makes alone (an idle worker): the thread slot,
 * the attempt marked started and the site's next start (GCRA), or nothing at all. The two statements
 * of reserveSend each cost an idle message a round trip (and under load a wait for the CPU at either
 * end); they are kept for a busy process because this one holds the site's pacing row until the
 * lease and message updates are written too, which sends to the same site would queue behind.
 *
 * The same guarantees as reserveSend: nothing for a message its claim no longer holds, nor at a
 * site that is not active, nor while a deactivation holds the pacing row (its TAT is then infinite,
 * re-read once the lock is granted); the pacing row is locked, after the slot, before the clock is
 * read. A site booked beyond the horizon gets no start and no thread (nothing is written to give
 * back). Null when the two statements must do it instead: no free slot (every thread busy, or the
 * site's slot rows not there yet) or no pacing row yet.
 */
export async function reserveIdleSend(db: Database, r: SendReservation): Promise<Exclude<ReserveOutcome, { kind: "no-thread" }> | null> {
  const [row] = await executePrepared<{
    held: boolean;
    active: boolean;
    lease_id: string | null;
    paced: boolean;
    granted: boolean | null;
    start_ms: number | null;
    now_ms: number | null;
    booked_ms: number | null;
    holds: [number, number, string][] | null;
  }>(db, sql`
    with held as (
      select m.id from webhook_messages m where m.id = ${r.messageId} and m.locked_by = ${r.claimToken}
    ), active as (
      select s.id from trusted_sites s where s.id = ${r.siteId} and s.status = 'active'
    ), free as (
      select l.id from site_leases l
      where l.site_id = ${r.siteId} and l.slot < ${r.threads}::int and l.expires_at <= clock_timestamp()
        and exists (select 1 from held) and exists (select 1 from active)
      order by l.slot limit 1
      for update skip locked
    ), locked as (
      select p.theoretical_arrival_at as tat, p.departure_holds from site_pacing p
      where p.site_id = ${r.siteId} and exists (select 1 from free)
      for update
    ), grant_ as (
      select l.tat, l.now, l.departure_holds, greatest(l.tat, l.now) as first,
        l.tat <= l.now + ${r.horizonMs}::float8 * interval '1 millisecond' as granted
      -- The clock is read here, once the row is locked.
      from (select tat, departure_holds, clock_timestamp() as now from locked) l
    ), booked as (
      update site_pacing p set theoretical_arrival_at = g.first + ${emissionIntervalMs(r.rps)}::float8 * interval '1 millisecond'
      from grant_ g where p.site_id = ${r.siteId} and g.granted
      returning p.site_id
    ), lease as (
      update site_leases l set message_id = ${r.messageId}, expires_at = clock_timestamp() + ${r.leaseTtlMs}::float8 * interval '1 millisecond'
      from grant_ g where l.id = (select id from free) and g.granted
      returning l.id
    ), started as (
      -- As takeThreads: the start is marked on the message, not on the attempt row.
      update webhook_messages m set attempts = ${r.attemptNo}::smallint, attempt_started_at = clock_timestamp()
      from grant_ g where m.id = (select id from held) and g.granted
      returning m.id
    )
    -- booked, lease and started run to completion though unread (PostgreSQL's rule for WITH).
    select exists (select 1 from held) as held, exists (select 1 from active) as active,
      (select id from free) as lease_id, exists (select 1 from locked) as paced, g.granted,
      extract(epoch from g.first)::float8 * 1000 as start_ms, extract(epoch from g.now)::float8 * 1000 as now_ms,
      case when g.tat < 'infinity' then extract(epoch from g.tat - g.now)::float8 * 1000 end as booked_ms,
      g.departure_holds as holds, ${ASYNC_COMMIT} as async_commit
    from (select 1) one left join grant_ g on true`);
  if (!row?.held) return { kind: "lost" };
  if (!row.active) return { kind: "paused" };
  if (row.lease_id == null || !row.paced) return null;
  if (!row.granted) return { kind: "booked", retryInMs: Math.max(50, (row.booked_ms ?? 0) - r.horizonMs) };
  return {
    kind: "reserved",
    leaseId: Number(row.lease_id),
    startAt: row.start_ms!,
    databaseNow: row.now_ms!,
    holds: liveHolds(row.holds, row.now_ms!),
  };
}
