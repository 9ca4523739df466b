import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { claimableNow, claimedMessageOf, claimedRows, dueChoice, IN_FLIGHT_SQL, uuidArray, type ClaimedMessage, type ClaimRow } from "./claim-messages";
import type { DatabaseClock } from "./database-clock";
import { bookedAhead, EMISSION_MARGIN, liveHolds, startsGranted, type ReserveOutcome, type StoredHold } from "./reserve-send";

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

/** What the local worker's claim asks for (claimDueAndReserve). */
export interface ReservingClaimRequest {
  claimToken: string;
  /** At most this many messages. */
  limit: number;
  ttlMs: number;
  /** How far ahead a start may be reserved. */
  horizonMs: number;
  /** This worker's sends in flight per site. */
  inFlight?: Record<string, number>;
  /** Sites with no room left here: not even looked at. */
  fullSites?: string[];
  /** Messages this worker is still on: never claimed again by it. */
  holding?: string[];
  /**
   * Thread slots this worker holds for sends that were answered (or failed) and whose results are
   * still to be recorded: their requests are over, so the claim hands each on to a message it claims
   * for the slot's site, ahead of the free slots, and frees the rest. The slots are the claim's from
   * here: their holders' results are recorded without releasing them. One no longer held by its
   * holder (expired, taken over) is left alone.
   */
  handOn?: HandedOnSlot[];
}

/** A thread slot held by `messageId`, whose send is over, at `siteId`. */
export interface HandedOnSlot {
  leaseId: number;
  messageId: string;
  siteId: string;
}

/**
 * Claims up to `limit` due messages for `claimToken` until `ttlMs` from now (dueChoice says which),
 * and reserves the sends of the messages it claims, as reserveSend would, in the same statement: a
 * claimed message then goes to its receiver without another round trip to the database (an idle
 * one waits for one after its NOTIFY instead of three), and a busy worker runs one statement per
 * claim instead of a claim and a thread-taking statement.
 *
 * The choice (dueChoice, claimableNow) already keeps each site's claims within its free threads; the
 * reservations keep takeThreadsAndStarts' guarantees: per site, free slots below its thread limit
 * (skipping those being taken) for its messages in due order, the slots of this worker's answered
 * sends first (handOn: a thread limits requests in flight, and theirs are over while their results
 * are recorded), the pacing rows locked after them in site order (never a deadlock between two
 * claims) and before the clock is read, consecutive GCRA starts one interval apart as far as the
 * horizon reaches (a deactivation that holds the row leaves the TAT infinite: no start), and each
 * message that got both counted and marked started in the claim's own update. One that got a slot
 * but no start takes nothing and is told how far its site is booked. The clock learns from the answer.
 *
 * The pacing row stays locked until the claim's writes are done too (a few rows' in-place updates),
 * which another worker's reservations at the site wait behind.
 */
export async function claimDueAndReserve(db: Database, clock: DatabaseClock, request: ReservingClaimRequest): Promise<ReservingClaim> {
  const { claimToken, limit, ttlMs, horizonMs, inFlight = {}, fullSites = [], holding = [], handOn = [] } = request;
  const handedOn: Record<string, number> = {};
  for (const slot of handOn) handedOn[slot.siteId] = (handedOn[slot.siteId] ?? 0) + 1;
  const handOnRows = handOn.map((slot) => ({ lease_id: slot.leaseId, message_id: slot.messageId }));
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
    ${dueChoice(limit, inFlight, fullSites, holding, handedOn)}, hand_on as (
      select * from jsonb_to_recordset(${JSON.stringify(handOnRows)}::jsonb) as h(lease_id bigint, message_id uuid)
    ), picked as (
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
    ), handed as (
      -- Per site the slots handed on first, then the free ones. A handed-on slot is taken only while
      -- its holder still holds it: locked, it is read again as it is now (released by its holder's
      -- recorded result meanwhile, it no longer matches; released before, it is a free one).
      select l.id, l.site_id, l.slot from wanted w cross join lateral (
        select l.id, l.site_id, l.slot from site_leases l
        join hand_on h on h.lease_id = l.id and h.message_id = l.message_id
        where l.site_id = w.site_id and l.slot < w.threads
        order by l.slot limit w.n
        for update of l skip locked
      ) l
    ), opened as (
      -- One scan per site; a slot this statement locked above is not skipped here, hence left out.
      select l.id, l.site_id, l.slot from wanted w cross join lateral (
        select l.id, l.site_id, l.slot from site_leases l
        where l.site_id = w.site_id and l.slot < w.threads and l.expires_at <= clock_timestamp()
          and not exists (select 1 from hand_on h where h.lease_id = l.id and h.message_id = l.message_id)
        order by l.slot limit greatest(0, w.n - (select count(*) from handed where handed.site_id = w.site_id))
        for update skip locked
      ) l
    ), free as (
      select f.id, f.site_id, row_number() over (partition by f.site_id order by f.handed_on desc, f.slot) as k
      from (select id, site_id, slot, true as handed_on from handed union all select id, site_id, slot, false from opened) f
    ), offered as (
      select t.id, t.site_id, t.rps, t.timeout_ms, t.k, free.id as lease_id
      from to_reserve t join free on free.site_id = t.site_id and free.k = t.k
    ), asked as (
      -- emissionIntervalMs(rps), in the same float8 arithmetic.
      select site_id, count(*) as n, (1000 / min(rps)::float8) * ${1 + EMISSION_MARGIN}::float8 as interval_ms,
        ${horizonMs}::float8 as horizon_ms
      from offered group by site_id
    ), ${startsGranted}
    ), pairs as (
      select o.id, o.timeout_ms, o.lease_id, o.k from offered o join grant_ g on g.site_id = o.site_id where o.k <= g.granted
    ), lease as (
      -- Held through the slot wait, authorization and the send, as attemptMessage's reservations are.
      update site_leases l set message_id = p.id,
        expires_at = clock_timestamp() + (${horizonMs}::float8 + 2 * p.timeout_ms + 5000) * interval '1 millisecond'
      from pairs p where l.id = p.lease_id and l.id = any(array(select lease_id from pairs))
      returning l.id
    ), handed_back as (
      -- A slot handed on but not taken (fewer messages than slots) is free again: its holder's
      -- result, recorded after this claim took the slot over, leaves it alone.
      update site_leases l set expires_at = '-infinity', message_id = null
      from hand_on h
      where l.id = h.lease_id and l.message_id = h.message_id and l.id = any(array(select lease_id from hand_on))
        and l.id <> all(array(select lease_id from pairs))
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
    -- booked, lease and handed_back run to completion though unread (PostgreSQL's rule for WITH).
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
        : bookedAhead(row.booked_until_ms == null ? null : row.booked_until_ms - row.now_ms!, horizonMs),
    );
  }
  return { claimed, reserved };
}

/**
 * Gives back what claims of `claimToken` whose answers were lost (the connection dropped: whether
 * they committed is unknown) took: every in-flight message still claimed by it, its claim not yet
 * lapsed, that its worker is not on (`keep`: the messages it holds, and those whose attempt ended
 * without a recorded result) is claimable again at once, and the thread slot it holds is freed.
 * Without this each waited for its claim to lapse, and its slot stayed held until it expired (a claim
 * reserves slots for all it claims: up to a site's every thread). A started mark stays: whether the
 * mark is this claim's or an interrupted attempt's the claim picked up cannot be told apart here, so
 * the next claim records it as interrupted (attemptMessage), as it would have after the lapse.
 * Returns how many messages it gave back. Reads the in-flight messages (their partial index), and
 * skips a row another statement has locked.
 */
export async function releaseLostClaims(db: Database, claimToken: string, keep: string[]): Promise<number> {
  const rows = await executePrepared<{ id: string }>(db, sql`
    with lost as (
      select m.id from webhook_messages m
      where m.status in (${IN_FLIGHT_SQL}) and m.locked_by = ${claimToken} and m.locked_until > clock_timestamp()
        and m.id <> all(${uuidArray(keep)}::uuid[])
      for update of m skip locked
    ), freed as (
      update site_leases l set expires_at = '-infinity', message_id = null
      where l.message_id = any(array(select id from lost))
      returning l.id
    )
    -- freed runs to completion though unread (PostgreSQL's rule for WITH).
    update webhook_messages m set locked_until = null, locked_by = null
    where m.id = any(array(select id from lost))
    returning m.id`);
  return rows.length;
}
