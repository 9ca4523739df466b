import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { claimableNow, claimedMessageOf, claimedRows, dueChoice, type ClaimedMessage, type ClaimRow } from "./claim-messages";
import type { DatabaseClock } from "./database-clock";
import { EMISSION_MARGIN, liveHolds, type ReserveOutcome, type StoredHold } from "./reserve-send";

/** What the claim reserved for one message's send: a thread and a start, or no start (the site is booked beyond the horizon, or being deactivated). */
export type ClaimReservation = Extract<ReserveOutcome, { kind: "reserved" | "booked" }>;

export interface ReservingClaim {
  claimed: ClaimedMessage[];
  /**
   * The claimed messages' reservations, by message id. A message without one (its attempt was
   * interrupted, no thread slot was free, or its site has no slot or pacing rows yet) reserves as usual.
   */
  reserved: Map<string, ClaimReservation>;
}

/**
 * claimDueMessages that also reserves the sends of the messages it claims, as reserveSend would, in
 * the same statement: a claimed message then goes to its receiver without another round trip to the
 * database (an idle one waits for one after its NOTIFY instead of three), and a busy worker runs one
 * statement per claim instead of a claim and a thread-taking statement.
 *
 * The same choice as claimDueMessages (dueChoice, claimableNow), which already keeps each site's
 * claims within its free threads; the reservations keep takeThreadsAndStarts' guarantees: per site,
 * free slots below its thread limit (skipping those being taken) for its messages in due order, the
 * pacing rows locked after them in site order (never a deadlock between two claims) and before the
 * clock is read, consecutive GCRA starts one interval apart as far as the horizon reaches (a
 * deactivation that holds the row leaves the TAT infinite: no start), and each message that got both
 * counted and marked started in the claim's own update. One that got a slot but no start takes
 * nothing and is told how far its site is booked. The clock learns from the answer.
 *
 * The pacing row stays locked until the claim's writes are done too (a few rows' in-place updates),
 * which another worker's reservations at the site wait behind.
 */
export async function claimDueAndReserve(
  db: Database,
  clock: DatabaseClock,
  claimToken: string,
  limit: number,
  ttlMs: number,
  horizonMs: number,
  inFlight: Record<string, number> = {},
  fullSites: string[] = [],
  holding: string[] = [],
): Promise<ReservingClaim> {
  const sentAt = clock.now();
  const rows = await executePrepared<
    ClaimRow & {
      got_start: boolean | null;
      lease_id: string | null;
      start_ms: number | null;
      now_ms: number | null;
      booked_until_ms: number | null;
      booking: string | null;
      reserved_holds: StoredHold[] | null;
    }
  >(db, sql`
    ${dueChoice(limit, inFlight, fullSites, holding)}, picked as (
      -- The locked rows as they are now (a concurrent change re-read), so their started marks are current.
      select m.id, m.site_id, m.created_at, m.next_attempt_at, m.attempts, m.attempt_started_at from webhook_messages m
      where m.id = any(array(select id from chosen)) and ${claimableNow}
      for update of m skip locked
    ), to_reserve as (
      -- An interrupted attempt (started, not recorded) is recorded first, with no send: its message
      -- reserves nothing here. The current attempt is read off the message, as claimedRows reads it.
      select p.id, p.site_id, s.threads, s.rps, s.timeout_ms,
        row_number() over (partition by p.site_id order by p.next_attempt_at, p.id) as k
      from picked p join trusted_sites s on s.id = p.site_id
      where p.attempt_started_at is null
    ), wanted as (
      select site_id, count(*) as n, min(threads) as threads from to_reserve group by site_id
    ), free as (
      -- One scan per site: a slot locked here is not skipped by a second scan of this statement.
      select f.id, f.site_id, row_number() over (partition by f.site_id order by f.slot) as k
      from wanted w cross join lateral (
        select l.id, l.site_id, l.slot from site_leases l
        where l.site_id = w.site_id and l.slot < w.threads and l.expires_at <= clock_timestamp()
        order by l.slot limit w.n
        for update skip locked
      ) f
    ), offered as (
      select t.id, t.site_id, t.timeout_ms, t.k, free.id as lease_id
      from to_reserve t join free on free.site_id = t.site_id and free.k = t.k
    ), asked as (
      -- emissionIntervalMs(rps), in the same float8 arithmetic.
      select o.site_id, count(*) as n, (1000 / min(t.rps)::float8) * ${1 + EMISSION_MARGIN}::float8 as interval_ms
      from offered o join to_reserve t on t.id = o.id group by o.site_id
    ), pacing as (
      select p.site_id, p.theoretical_arrival_at as tat, p.booked_starts, p.departure_holds from site_pacing p
      where p.site_id = any(array(select site_id from asked))
      order by p.site_id for update
    ), grant_ as (
      select l.site_id, l.tat, l.now, greatest(l.tat, l.now) as first, l.booked_starts, l.departure_holds, l.interval_ms,
        case when l.tat <= l.now + ${horizonMs}::float8 * interval '1 millisecond'
          then least(l.n::float8, floor(extract(epoch from (l.now + ${horizonMs}::float8 * interval '1 millisecond' - greatest(l.tat, l.now))) * 1000 / l.interval_ms) + 1)::int
          else 0 end as granted
      -- The clock is read here, once the row is locked.
      from (select p.site_id, p.tat, p.booked_starts, p.departure_holds, clock_timestamp() as now, a.n, a.interval_ms
        from pacing p join asked a on a.site_id = p.site_id) l
    ), booked as (
      -- Each start's booking number is the count of starts booked before it (departure holds bind by it).
      update site_pacing p set theoretical_arrival_at = g.first + g.granted * g.interval_ms * interval '1 millisecond',
        booked_starts = g.booked_starts + g.granted
      from grant_ g where p.site_id = g.site_id and g.granted > 0
      returning p.site_id
    ), pairs as (
      select o.id, o.timeout_ms, o.lease_id, o.k from offered o join grant_ g on g.site_id = o.site_id where o.k <= g.granted
    ), lease as (
      -- Held through the slot wait, authorization and the send, as attemptMessage's reservations are.
      update site_leases l set message_id = p.id,
        expires_at = clock_timestamp() + (${horizonMs}::float8 + 2 * p.timeout_ms + 5000) * interval '1 millisecond'
      from pairs p where l.id = p.lease_id and l.id = any(array(select lease_id from pairs))
      returning l.id
    ), reservation as (
      -- Every offered message of a site with a pacing row: a start, or how far the site is booked.
      select o.id as message_id, p.id is not null as got_start, p.lease_id,
        extract(epoch from g.first)::float8 * 1000 + (o.k - 1) * g.interval_ms as start_ms,
        (g.booked_starts + o.k - 1)::text as booking,
        extract(epoch from g.now)::float8 * 1000 as now_ms,
        -- Up to its last start once this claim took starts, as bookStarts tells it; the TAT otherwise.
        case when g.granted > 0 then extract(epoch from g.first)::float8 * 1000 + g.granted * g.interval_ms
          when g.tat < 'infinity' then extract(epoch from g.tat)::float8 * 1000 end as booked_until_ms,
        g.departure_holds
      from offered o join grant_ g on g.site_id = o.site_id left join pairs p on p.id = o.id
    ), claimed as (
      update webhook_messages m
      set locked_until = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond', locked_by = ${claimToken},
        -- A reserved message is counted and marked started in the claim's own update (a row is updated once per statement).
        attempts = case when r.got_start then p.attempts + 1 else m.attempts end,
        attempt_started_at = case when r.got_start then clock_timestamp() else m.attempt_started_at end
      from picked p left join reservation r on r.message_id = p.id
      where m.id = p.id and m.id = any(array(select id from picked))
      -- The count and started mark as they were before this statement: a reserved message's attempt is not interrupted.
      returning m.id, m.site_id, m.customer_id, m.action, m.payload, m.created_at, p.attempts, p.attempt_started_at
    )
    -- booked and lease run to completion though unread (PostgreSQL's rule for WITH).
    ${claimedRows(
      sql`, r.got_start, r.lease_id, r.start_ms, r.now_ms, r.booked_until_ms, r.booking, r.departure_holds as reserved_holds`,
      sql`left join reservation r on r.message_id = c.id`,
    )}`);
  const claimed = rows.map((r) => claimedMessageOf(r, claimToken));
  const reserved = new Map<string, ClaimReservation>();
  const sampled = rows.find((r) => r.now_ms != null);
  if (sampled) clock.sample(sampled.now_ms!, sentAt);
  for (const row of rows) {
    if (row.got_start == null) continue;
    reserved.set(
      row.id,
      row.got_start
        ? {
            kind: "reserved",
            leaseId: Number(row.lease_id),
            startAt: row.start_ms!,
            booking: Number(row.booking),
            databaseNow: row.now_ms!,
            holds: liveHolds(row.reserved_holds, row.now_ms!),
          }
        : { kind: "booked", retryInMs: Math.max(50, (row.booked_until_ms == null ? 0 : row.booked_until_ms - row.now_ms!) - horizonMs) },
    );
  }
  return { claimed, reserved };
}
