import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { claimableNow, claimedMessageOf, claimedRows, dueChoice, type ClaimedMessage, type ClaimRow } from "./claim-messages";
import type { DatabaseClock } from "./database-clock";
import { EMISSION_MARGIN, liveHolds, type ReserveOutcome, type StoredHold } from "./reserve-send";

/** What the claim reserved for its first message: a thread and a start, or no start (the site is booked beyond the horizon, or being deactivated). */
export type IdleReservation = Extract<ReserveOutcome, { kind: "reserved" | "booked" }>;

export interface IdleClaim {
  claimed: ClaimedMessage[];
  /** For one of the claimed messages, its send's reservation; none when no thread slot or pacing row was there to take (the attempt reserves as usual). */
  reserved?: { messageId: string; outcome: IdleReservation };
}

/**
 * claimDueMessages for a worker that sends nothing now, which also reserves the send of the first
 * message it claims (its oldest whose attempt was not interrupted), as reserveSend would, in the
 * same statement: an idle message then waits for one round trip to the database after its NOTIFY
 * instead of three (claim, thread, start), each of which on a loaded machine also waits for a CPU
 * at both ends. Not for a busy worker: the statement holds the site's pacing row until the claim's
 * writes are done too, which other sends to the site would queue behind.
 *
 * The same choice as claimDueMessages (dueChoice, claimableNow); the reservation keeps reserveSend's
 * guarantees: a free slot below the site's thread limit (skipping those being taken), the pacing row
 * locked after it and before the clock is read (a deactivation that held it leaves the TAT infinite:
 * no start), the GCRA start within the horizon, the attempt marked started on the message in the
 * claim's own update, or nothing at all when no start is granted. The clock learns from the answer.
 */
export async function claimDueReservingFirst(
  db: Database,
  clock: DatabaseClock,
  claimToken: string,
  limit: number,
  ttlMs: number,
  horizonMs: number,
  inFlight: Record<string, number> = {},
  fullSites: string[] = [],
  holding: string[] = [],
): Promise<IdleClaim> {
  const sentAt = clock.now();
  const rows = await executePrepared<
    ClaimRow & {
      granted: boolean | null;
      lease_id: string | null;
      start_ms: number | null;
      now_ms: number | null;
      booked_ms: number | null;
      booking: string | null;
      reserved_holds: StoredHold[] | null;
    }
  >(db, sql`
    ${dueChoice(limit, inFlight, fullSites, holding)}, picked as (
      -- The locked row as it is now (a concurrent change re-read), so its started mark is current.
      select m.id, m.site_id, m.created_at, m.next_attempt_at, m.attempts, m.attempt_started_at from webhook_messages m
      where m.id = any(array(select id from chosen)) and ${claimableNow}
      for update of m skip locked
    ), first as (
      -- An interrupted attempt (started, not recorded) is recorded first, with no send: its message
      -- reserves nothing here. The current attempt is read off the message, as claimedRows reads it.
      select p.id, p.site_id, p.attempts + 1 as attempt_no, s.threads, s.rps, s.timeout_ms
      from picked p
      join trusted_sites s on s.id = p.site_id
      where p.attempt_started_at is null
      order by p.next_attempt_at limit 1
    ), free as (
      select l.id from first f cross join lateral (
        select l.id from site_leases l
        where l.site_id = f.site_id and l.slot < f.threads and l.expires_at <= clock_timestamp()
        order by l.slot limit 1
        for update skip locked
      ) l
    ), locked as (
      select p.theoretical_arrival_at as tat, p.booked_starts, p.departure_holds from site_pacing p
      where p.site_id = (select site_id from first) and exists (select 1 from free)
      for update
    ), grant_ as (
      select l.tat, l.now, l.booked_starts, l.departure_holds, greatest(l.tat, l.now) as first_start,
        l.tat <= l.now + ${horizonMs}::float8 * interval '1 millisecond' as granted,
        -- emissionIntervalMs(rps), in the same float8 arithmetic.
        (1000 / f.rps::float8) * ${1 + EMISSION_MARGIN}::float8 as interval_ms
      -- The clock is read here, once the row is locked.
      from (select tat, booked_starts, departure_holds, clock_timestamp() as now from locked) l cross join first f
    ), booked as (
      -- The start's booking number is the count of starts booked before it (reserve-send.ts, departure holds).
      update site_pacing p set theoretical_arrival_at = g.first_start + g.interval_ms * interval '1 millisecond',
        booked_starts = g.booked_starts + 1
      from grant_ g where p.site_id = (select site_id from first) and g.granted
      returning p.site_id
    ), lease as (
      -- Held through the slot wait, authorization and the send, as attemptMessage's reservations are.
      update site_leases l set message_id = f.id,
        expires_at = clock_timestamp() + (${horizonMs}::float8 + 2 * f.timeout_ms + 5000) * interval '1 millisecond'
      from grant_ g cross join first f where l.id = (select id from free) and g.granted
      returning l.id
    ), reservation as (
      select f.id as message_id, f.attempt_no, (select id from free) as lease_id, g.granted,
        extract(epoch from g.first_start)::float8 * 1000 as start_ms, extract(epoch from g.now)::float8 * 1000 as now_ms,
        case when g.tat < 'infinity' then extract(epoch from g.tat - g.now)::float8 * 1000 end as booked_ms,
        g.booked_starts::text as booking, g.departure_holds
      from first f join grant_ g on true
    ), claimed as (
      update webhook_messages m
      set locked_until = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond', locked_by = ${claimToken},
        -- The reserved message is counted and marked started in the claim's own update (a row is updated once per statement).
        attempts = case when r.granted then r.attempt_no else m.attempts end,
        attempt_started_at = case when r.granted then clock_timestamp() else m.attempt_started_at end
      from picked p left join reservation r on r.message_id = p.id
      where m.id = p.id and m.id = any(array(select id from picked))
      -- The count and started mark as they were before this statement: the reserved message's attempt is not interrupted.
      returning m.id, m.site_id, m.customer_id, m.action, m.payload, m.created_at, p.attempts, p.attempt_started_at
    )
    -- booked and lease run to completion though unread (PostgreSQL's rule for WITH).
    ${claimedRows(
      sql`, r.granted, r.lease_id, r.start_ms, r.now_ms, r.booked_ms, r.booking, r.departure_holds as reserved_holds`,
      sql`left join reservation r on r.message_id = c.id`,
    )}`);
  const claimed = rows.map((r) => claimedMessageOf(r, claimToken));
  const row = rows.find((r) => r.granted != null);
  if (!row) return { claimed };
  clock.sample(row.now_ms!, sentAt);
  const outcome: IdleReservation = row.granted
    ? {
        kind: "reserved",
        leaseId: Number(row.lease_id),
        startAt: row.start_ms!,
        booking: Number(row.booking),
        databaseNow: row.now_ms!,
        holds: liveHolds(row.reserved_holds, row.now_ms!),
      }
    : { kind: "booked", retryInMs: Math.max(50, (row.booked_ms ?? 0) - horizonMs) };
  return { claimed, reserved: { messageId: row.id, outcome } };
}
