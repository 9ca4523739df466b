import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { addPacingRow, addThreadSlots } from "./thread-slots";

/**
 * Pacing per site (DESIGN §4), global across workers because the state lives in PostgreSQL.
 *
 * rps is a GCRA without burst: the site's theoretical arrival time (TAT) advances by one emission
 * interval I per request, and a request's start is max(TAT, now). I is 1 % longer than 1/rps, so the
 * starts of any rps + 1 consecutive bookings span rps·I = 1,010 ms.
 *
 * Starts are what is booked; what the receiver counts is when requests left. Every start has a
 * booking number (the site's count of starts booked before it, `site_pacing.booked_starts`), and the
 * window holds if every send leaves at least 1 s after the send rps booking numbers before it: any
 * rps + 1 sends include two whose numbers differ by a multiple of rps, m·rps, and those left at least
 * m seconds apart. A send on time is that far from it already (rps starts span rps·I = 1,010 ms). A
 * send whose request left d ms after its start (the moment undici wrote it,
 * lib/outbound/request-departures.ts) with d > rps·I − 1,000 ms sets a departure hold
 * (departureHold): the send with its booking number + rps leaves no earlier than its departure + 1 s
 * + RECEIVER_ALLOWANCE_MS. Only that one send: the sends between are bound by their own predecessors,
 * so a late send is made up by the ones after it instead of holding them all back (a hold on every
 * start from its start + rps·I, as before, made each round wait for the latest departure of the
 * round before, and lateness piled up: 274 ms of median wait at 100 rps beside a CPU hog). The hold
 * is kept in this process at once and in the site's pacing row, which every booking reads, so
 * another worker's later bookings see it too (see PACING_HORIZON_MS for why they are booked after it
 * is written). A send that waited for a hold holds its successor in turn, by the excess of its
 * lateness over the margin, so a late departure's effect fades out along its chain. Sends that are
 * not late cost nothing more.
 *
 * threads are slot rows (site_leases): a send holds one slot until it releases it or, if its worker
 * died, until the lease expires.
 */
export const EMISSION_MARGIN = 0.01;
/**
 * A departure hold's extra wait beyond 1 s: the receiver's whole-millisecond stamps (Date.now()) and
 * the jitter of its stamping. At 2 ms, with holds that bind one send each, 100 rps beside a CPU hog
 * left every departure window at 100 but the bench's receiver counted up to 107 (it stamped requests
 * up to 24 ms after they were written). Each held round sheds rps·I − 1 s − this (5 ms) of lateness.
 */
export const RECEIVER_ALLOWANCE_MS = 5;

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

/**
 * The send with booking number `booking` leaves no earlier than `until` (ms, on the database's
 * clock). `from` is when that send starts at the earliest; a hold read without a booking number
 * (written before there were any) binds every send starting at or after it. `writer` is the process
 * that set it (which applies its own holds on its own clock instead).
 */
export interface DepartureHold {
  from: number;
  until: number;
  booking?: number;
  writer?: string;
}

/** A hold as this version sets it: on one booking number. */
export type BookedHold = DepartureHold & { booking: number };

/**
 * The hold a departure sets (`booking`: the late send's booking number): the send rps bookings after
 * it starts at startAt + rps·I at the earliest (consecutive starts are at least I apart), and must
 * leave a second (plus the allowance) after this one did; none when its start is that late already.
 * `departedAt` on the database's clock, at its latest.
 */
export function departureHold(rps: number, startAt: number, booking: number, departedAt: number): BookedHold | null {
  // A millisecond early against float rounding: it only says when the bound send starts at the earliest.
  const from = startAt + rps * emissionIntervalMs(rps) - 1;
  const until = departedAt + HOLD_MS;
  return until > from + 1 ? { from, until, booking: booking + rps } : null;
}

/** How long after a late departure the send rps bookings later may leave. */
const HOLD_MS = 1000 + RECEIVER_ALLOWANCE_MS;

/**
 * Departure holds are kept for sites of at most this rps: each late departure costs one small write,
 * and a site this slow has few. Above it (a limit no single site's sends come near in practice, such
 * as the bench's 100,000) the 1 % margin alone covers late departures, as before, and the throughput
 * path pays nothing.
 */
export const HELD_MAX_RPS = 1000;
/**
 * The most live holds a site keeps (the latest, by start): a hold lives its wait and a second more
 * (as its send's successor's, see notBeforeLocal), about 2 s, so up to a site of half this rps every
 * late departure's hold is kept; above it, with most sends late, the oldest go first (their sends and
 * successors are the likeliest to have left already).
 */
const MAX_HOLDS = 256;

/** This process, as the writer of the holds it stores. */
const THIS_PROCESS = randomUUID();

/** The holds this process set, per site, with `until` on its own clock: its own sends see them at once, and without the clock's uncertainty. */
const localHolds = new Map<string, { booking: number; localUntil: number }[]>();

/** Whether a hold binds the send with this booking number and start. */
const binds = (hold: DepartureHold, booking: number, startAt: number) => (hold.booking === undefined ? startAt >= hold.from : hold.booking === booking);

/**
 * The local time before which the send with booking number `booking`, starting at `startAt`
 * (database clock), must not leave: its start, or the end of the holds that bind it (this process's,
 * on its own clock; other processes' as its booking read them, converted at the clock's latest).
 * A hold on its predecessor (rps bookings before) binds it too, a second later: that one leaves
 * after its hold ends, and so this one cannot leave before it even while its departure is unknown.
 */
export function notBeforeLocal(
  siteId: string,
  startAt: number,
  send: { booking: number; rps: number },
  booked: readonly DepartureHold[],
  toLocal: (databaseTime: number) => number,
): number {
  const { booking } = send;
  const predecessor = booking - send.rps;
  let until = toLocal(startAt);
  for (const hold of localHolds.get(siteId) ?? []) {
    if (hold.booking === booking) until = Math.max(until, hold.localUntil);
    else if (hold.booking === predecessor) until = Math.max(until, hold.localUntil + HOLD_MS);
  }
  for (const hold of booked) {
    if (hold.booking === predecessor) until = Math.max(until, toLocal(hold.until + HOLD_MS));
    else if (hold.writer !== THIS_PROCESS && binds(hold, booking, startAt)) until = Math.max(until, toLocal(hold.until));
  }
  return until;
}

/**
 * How long after the end of the hold on a send the hold that send's departure sets is surely in the
 * site's pacing row: it is handed to the HTTP client at most MAX_HELD_LATENESS_MS (200 ms) late and
 * written well within the rest. The send rps bookings after an unheld one is booked this long after
 * that one's start at the earliest (rps·I − the local worker's 500 ms horizon), which is why a booking
 * sees such holds; a held one may leave later, so its successor reads the row again (recheckAt).
 */
const HOLD_VISIBLE_MS = 510;

/** Booking numbers this process took lately, per site: its own sends' holds it knows at once. */
const ownBookings = new Map<string, Set<number>>();
const OWN_BOOKINGS_KEPT = 4096;

/** Notes that this process took the booking (and so sends it, or leaves it unused). */
export function tookBooking(siteId: string, booking: number): void {
  let own = ownBookings.get(siteId);
  if (!own) ownBookings.set(siteId, (own = new Set()));
  own.add(booking);
  // Sets iterate in insertion order: the oldest go first.
  for (const old of own) {
    if (own.size <= OWN_BOOKINGS_KEPT) break;
    own.delete(old);
  }
}

/**
 * When (database clock) the send must read the site's holds again before it leaves, or null: when its
 * predecessor (rps bookings before) was held and is another process's, whose hold for this send may
 * have been written after this send's booking (`bookedAt`) read the row.
 */
export function recheckAt(siteId: string, send: { booking: number; rps: number }, booked: readonly DepartureHold[], bookedAt: number): number | null {
  const predecessor = send.booking - send.rps;
  if (ownBookings.get(siteId)?.has(predecessor)) return null;
  let visible = -Infinity;
  for (const hold of booked) if (hold.booking === predecessor) visible = Math.max(visible, hold.until + HOLD_VISIBLE_MS);
  return visible > bookedAt ? visible : null;
}

/** The site's live holds as the pacing row has them now (no lock), with the database's clock. */
export async function readHolds(db: Database, siteId: string): Promise<{ holds: DepartureHold[]; databaseNow: number }> {
  const [row] = await executePrepared<{ holds: StoredHold[] | null; now_ms: number }>(db, sql`
    select (select departure_holds from site_pacing where site_id = ${siteId}) as holds, extract(epoch from clock_timestamp())::float8 * 1000 as now_ms`);
  return { holds: liveHolds(row!.holds, row!.now_ms), databaseNow: row!.now_ms };
}

/**
 * Records a hold (see departureHold) for this process's sends to the site at once (`departedLocal` on
 * this process's clock), and in the site's pacing row for everyone's later bookings. Holds a second
 * past their end are dropped on the way.
 */
export async function holdDepartures(db: Database, siteId: string, hold: BookedHold, departedLocal: number): Promise<void> {
  holdLocally(siteId, hold, departedLocal);
  await executePrepared(db, sql`
    update site_pacing set departure_holds = (
      select coalesce(jsonb_agg(h order by (h->>0)::float8), '[]'::jsonb) from (
        select h from jsonb_array_elements(coalesce(departure_holds, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(${hold.from}::float8, ${hold.until}::float8, ${THIS_PROCESS}::text, ${hold.booking}::bigint))) h
        where (h->>1)::float8 + ${HOLD_MS}::float8 > extract(epoch from clock_timestamp())::float8 * 1000
        order by (h->>0)::float8 desc limit ${MAX_HOLDS}
      ) live)
    from (select ${ASYNC_COMMIT}) async_commit
    where site_id = ${siteId}`);
}

/** holdDepartures' part in this process: its own later sends see the hold at once. */
export function holdLocally(siteId: string, hold: BookedHold, departedLocal: number): void {
  const live = (localHolds.get(siteId) ?? []).filter((h) => h.localUntil + HOLD_MS > departedLocal);
  localHolds.set(siteId, [...live.slice(-(MAX_HOLDS - 1)), { booking: hold.booking, localUntil: departedLocal + HOLD_MS }]);
}

export type StoredHold = [from: number, until: number, writer: string, booking?: number | null];

/**
 * The live holds among those a booking read: a hold lives until it ends and a second more, as the
 * hold on its send's successor (see notBeforeLocal).
 */
export function liveHolds(stored: StoredHold[] | null, databaseNow: number): DepartureHold[] {
  return (stored ?? [])
    .filter(([, until]) => until + HOLD_MS > databaseNow)
    .map(([from, until, writer, booking]) => ({ from, until, writer, booking: booking == null ? undefined : Number(booking) }));
}

export interface SendReservation {
  siteId: string;
  messageId: string;
  /** The claim the message is held by: nothing is reserved for a claim that has passed to another worker. */
  claimToken: string;
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
  /** `startAt` is on the database's clock, as is `databaseNow` (read as the statement ended); `booking` is the start's booking number. */
  | { kind: "reserved"; leaseId: number; startAt: number; booking: number; databaseNow: number; holds: DepartureHold[] }
  /** Every thread of the site is busy. */
  | { kind: "no-thread" }
  /** The site is not active (or is being deactivated): nothing is reserved, see pause-site.ts. */
  | { kind: "paused" }
  /** The site's starts are booked beyond the horizon; try again in `retryInMs`. */
  | { kind: "booked"; retryInMs: number };

/**
 * Takes a free thread slot and marks the message's current attempt started — so a worker
 * that dies from here on leaves an interrupted attempt — then reserves the next start.
 *
 * Two statements, so that the site's pacing row, which every send to the site locks until its
 * commit, is held for one row's update and nothing else: with the lease and the started marks in
 * the same statement, every reservation to a site queued behind the previous one's index writes.
 * A reservation that gets no start (booked beyond the horizon, or the site being deactivated)
 * gives the thread back and unmarks the attempt. Clock reads use clock_timestamp(), taken after any
 * row lock wait, never the statement's start. Nothing is reserved for a site that is not active,
 * nor while a deactivation holds its pacing row (its TAT is then infinite, which the booking
 * re-reads after waiting for the lock). `take` and `book` run each statement for one send by
 * default; the local worker's batch the sends to one site asked for together (threadTaker, startBooker).
 */
export async function reserveSend(
  db: Database,
  r: SendReservation,
  book: StartBooker = bookEachStart(db),
  take: ThreadTaker = takeEachThread(db),
): Promise<ReserveOutcome> {
  for (;;) {
    const thread = await take(r);
    if (!thread.held) return { kind: "lost" };
    if (!thread.active) return { kind: "paused" };
    if (thread.noPacingRow) {
      await addPacingRow(db, r.siteId);
      continue;
    }
    // A thread was free but no start within the horizon: nothing was taken.
    if (thread.start && thread.start.startAt == null) return bookedAhead(thread.start.bookedMs, r.horizonMs);
    if (thread.leaseId == null) {
      // A site's slot rows are added once per process and thread limit, not on every busy answer.
      const slots = `${r.siteId}:${r.threads}`;
      if (completeSlots.has(slots)) return { kind: "no-thread" };
      if (!(await addMissingSlots(db, r.siteId, r.threads))) {
        completeSlots.add(slots);
        return { kind: "no-thread" };
      }
      continue;
    }
    const leaseId = thread.leaseId;
    // A taker that books too (threadTaker) answered with the start; another books it now.
    const start = thread.start ?? (await book(r.siteId, r.rps, r.horizonMs));
    if (start.startAt != null) return { kind: "reserved", leaseId, startAt: start.startAt, booking: start.booking!, databaseNow: start.databaseNow, holds: start.holds };
    await unreserve(db, r, leaseId);
    return bookedAhead(start.bookedMs, r.horizonMs);
  }
}

/**
 * No start within the horizon: try again once the site's bookings (`bookedMs` ahead; null when none
 * can be made, as while it is deactivated) come within the horizon, in 50 ms at the soonest.
 */
export function bookedAhead(bookedMs: number | null, horizonMs: number): Extract<ReserveOutcome, { kind: "booked" }> {
  return { kind: "booked", retryInMs: Math.max(50, (bookedMs ?? 0) - horizonMs) };
}

/** Sites (and thread limits) whose slot rows this process has seen complete; slot rows are deleted only with their site. */
const completeSlots = new Set<string>();

export interface ThreadAnswer {
  /** The message is still held by the claim the reservation names. */
  held: boolean;
  active: boolean;
  /** The slot taken; null when every thread of the site is busy (or its slot rows are missing). */
  leaseId: number | null;
  /**
   * Its start, when the taker books too (takeThreadsAndStarts): null `startAt` when a thread was free
   * but the site is booked beyond the horizon (or being deactivated), and then no thread was taken.
   */
  start?: { startAt: number | null; booking: number | null; databaseNow: number; bookedMs: number | null; holds: DepartureHold[] };
  /** The taker books too and the site has no pacing row yet: nothing was taken (add it, then ask again). */
  noPacingRow?: boolean;
}

type ThreadRequest = Pick<SendReservation, "siteId" | "threads" | "leaseTtlMs" | "messageId" | "claimToken" | "attemptNo">;
type ThreadAndStartRequest = ThreadRequest & Pick<SendReservation, "rps" | "horizonMs">;

/**
 * The CTEs after `req` (the requests, one row each: i, site_id, threads, lease_ttl_ms, message_id,
 * claim_token, attempt_no) that find, per site, its active state (`active`), the requests whose
 * message is still held by its claim (`held`, numbered k per site in the order asked) and as many
 * free slots below the site's thread limit as those ask for (`free`, numbered k per site), locked.
 */
const freeSlotsOfHeld = sql.raw(`active as (
      select id from trusted_sites where id = any(array(select site_id from req)) and status = 'active'
    ), held as (
      -- Through the primary key (an array): as a plain join the planner, guessing 100 requests, reads the whole table.
      select r.i, r.site_id, r.message_id, r.attempt_no, r.lease_ttl_ms, row_number() over (partition by r.site_id order by r.i) as k
      from req r join webhook_messages m on m.id = r.message_id and m.locked_by = r.claim_token
      where m.id = any(array(select message_id from req))
    ), wanted as (
      select h.site_id, count(*) as n, (select min(threads) from req where req.site_id = h.site_id) as threads
      from held h where h.site_id in (select id from active) group by h.site_id
    ), free as (
      -- One scan per site: a slot locked here is not skipped by a second scan of this statement.
      select f.id, f.site_id, row_number() over (partition by f.site_id order by f.slot) as k
      from wanted w cross join lateral (
        select l.id, l.site_id, l.slot from site_leases l
        where l.site_id = w.site_id and l.slot < w.threads and l.expires_at <= clock_timestamp()
        order by l.slot limit w.n
        for update skip locked
      ) f`);

/**
 * The CTEs that give each request of `pairs` (i, message_id, attempt_no, lease_ttl_ms, lease_id) its
 * slot (`lease`) and mark its attempt started on the message (`started`): counted and started in one
 * in-place update, not on the attempt row, which is written once more only when its result is recorded.
 */
const leaseAndMarkStarted = sql.raw(`lease as (
      update site_leases l
      set message_id = p.message_id, expires_at = clock_timestamp() + p.lease_ttl_ms * interval '1 millisecond'
      from pairs p where l.id = p.lease_id and l.id = any(array(select lease_id from pairs))
      returning l.id
    ), started as (
      update webhook_messages m set attempts = p.attempt_no, attempt_started_at = clock_timestamp()
      from pairs p where m.id = p.message_id and m.id = any(array(select message_id from pairs))
      returning m.id
    )`);

/**
 * For each request (sends to one or more sites), in one statement: a free thread slot of its site for
 * each message still held by its claim, and the message's current attempt counted and marked started
 * (`attempt_started_at`) for each that got one. A site's slots go to its requests in the order given,
 * below the lowest thread limit they carry (a limit changed meanwhile applies from the next batch).
 */
export async function takeThreads(db: Database, requests: ThreadRequest[]): Promise<ThreadAnswer[]> {
  const rows = requests.map((r, i) => ({
    i, site_id: r.siteId, threads: r.threads, lease_ttl_ms: r.leaseTtlMs, message_id: r.messageId, claim_token: r.claimToken, attempt_no: r.attemptNo,
  }));
  const answers = await executePrepared<{ i: number; held: boolean; active: boolean; lease_id: string | null }>(db, sql`
    with req as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(i int, site_id uuid, threads int, lease_ttl_ms float8, message_id uuid, claim_token uuid, attempt_no smallint)
    ), ${freeSlotsOfHeld}
    ), pairs as (
      select h.i, h.message_id, h.attempt_no, h.lease_ttl_ms, free.id as lease_id
      from held h join free on free.site_id = h.site_id and free.k = h.k
    ), ${leaseAndMarkStarted}
    -- lease and started run to completion though unread (PostgreSQL's rule for WITH).
    select r.i, h.i is not null as held, r.site_id in (select id from active) as active, p.lease_id, ${ASYNC_COMMIT} as async_commit
    from req r left join held h on h.i = r.i left join pairs p on p.i = r.i`);
  const byIndex = new Map(answers.map((a) => [Number(a.i), a]));
  return requests.map((_, i) => {
    const a = byIndex.get(i);
    return { held: a?.held ?? false, active: a?.active ?? false, leaseId: a?.lease_id == null ? null : Number(a.lease_id) };
  });
}

/**
 * The CTEs after `asked` (per site: site_id, n starts wanted, interval_ms, horizon_ms) that lock the
 * sites' pacing rows in site order (`pacing`), read the clock once each is locked and grant per site
 * consecutive starts from max(TAT, now) one interval apart, as many as begin within the horizon and
 * at most n (`grant_`: first, granted, now, tat, booked_starts, departure_holds, interval_ms), and book
 * them (`booked`). A TAT of infinity (a deactivation) grants none.
 */
export const startsGranted = sql.raw(`pacing as (
      select p.site_id, p.theoretical_arrival_at as tat, p.booked_starts, p.departure_holds from site_pacing p
      where p.site_id = any(array(select site_id from asked))
      order by p.site_id for update
    ), grant_ as (
      select l.site_id, l.tat, l.now, greatest(l.tat, l.now) as first, l.booked_starts, l.departure_holds, l.interval_ms,
        case when l.tat <= l.now + l.horizon_ms * interval '1 millisecond'
          then least(l.n::float8, floor(extract(epoch from (l.now + l.horizon_ms * interval '1 millisecond' - greatest(l.tat, l.now))) * 1000 / l.interval_ms) + 1)::int
          else 0 end as granted
      -- The clock is read here, once the row is locked.
      from (select p.site_id, p.tat, p.booked_starts, p.departure_holds, clock_timestamp() as now, a.n, a.interval_ms, a.horizon_ms
        from pacing p join asked a on a.site_id = p.site_id) l
    ), booked as (
      -- Each start's booking number is the count of starts booked before it (departure holds bind by it).
      update site_pacing p set theoretical_arrival_at = g.first + g.granted * g.interval_ms * interval '1 millisecond',
        booked_starts = g.booked_starts + g.granted
      from grant_ g where p.site_id = g.site_id and g.granted > 0
      returning p.site_id`);

/**
 * takeThreads and bookStarts in one statement (one round trip fewer between a claim and a send): for
 * each request still held, a free thread slot of its site and, in the same transaction, a start of
 * the site's pacing (consecutive starts one interval apart, the sends to a site in the order asked,
 * as many as begin within the horizon). Only the requests that get both take the slot and are
 * marked started; one that would have had a slot but no start takes nothing and is told how far the
 * site is booked. The pacing rows are locked after the slots (skip locked, never waited for), in site
 * order, so two batches cannot deadlock; the clock is read once a row is locked. A site being
 * deactivated (TAT infinite) grants no start, as in bookStarts.
 */
export async function takeThreadsAndStarts(db: Database, requests: ThreadAndStartRequest[]): Promise<ThreadAnswer[]> {
  const rows = requests.map((r, i) => ({
    i, site_id: r.siteId, threads: r.threads, lease_ttl_ms: r.leaseTtlMs, message_id: r.messageId, claim_token: r.claimToken, attempt_no: r.attemptNo,
    interval_ms: emissionIntervalMs(r.rps), horizon_ms: r.horizonMs,
  }));
  const answers = await executePrepared<{
    i: number; held: boolean; active: boolean; lease_id: string | null; offered: boolean; no_pacing: boolean; start_ms: number | null;
    now_ms: number | null; tat_ms: number | null; last_ms: number | null; booking: string | null; holds: StoredHold[] | null;
  }>(db, sql`
    with req as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(i int, site_id uuid, threads int, lease_ttl_ms float8, message_id uuid, claim_token uuid, attempt_no smallint, interval_ms float8, horizon_ms float8)
    ), ${freeSlotsOfHeld}
    ), offered as (
      select h.i, h.site_id, h.message_id, h.attempt_no, h.lease_ttl_ms, h.k, free.id as lease_id
      from held h join free on free.site_id = h.site_id and free.k = h.k
    ), asked as (
      select o.site_id, count(*) as n, min(r.interval_ms) as interval_ms, min(r.horizon_ms) as horizon_ms
      from offered o join req r on r.i = o.i group by o.site_id
    ), ${startsGranted}
    ), pairs as (
      select o.i, o.message_id, o.attempt_no, o.lease_ttl_ms, o.lease_id, o.k, g.first, g.interval_ms, g.booked_starts
      from offered o join grant_ g on g.site_id = o.site_id where o.k <= g.granted
    ), ${leaseAndMarkStarted}
    -- booked, lease and started run to completion though unread (PostgreSQL's rule for WITH).
    select r.i, h.i is not null as held, r.site_id in (select id from active) as active, p.lease_id,
      o.i is not null as offered, o.i is not null and g.site_id is null as no_pacing,
      extract(epoch from p.first)::float8 * 1000 + (p.k - 1) * p.interval_ms as start_ms,
      (p.booked_starts + p.k - 1)::text as booking,
      extract(epoch from g.now)::float8 * 1000 as now_ms,
      case when g.tat < 'infinity' then extract(epoch from g.tat)::float8 * 1000 end as tat_ms,
      case when g.granted > 0 then extract(epoch from g.first)::float8 * 1000 + g.granted * g.interval_ms end as last_ms,
      g.departure_holds as holds, ${ASYNC_COMMIT} as async_commit
    from req r left join held h on h.i = r.i left join offered o on o.i = r.i left join pairs p on p.i = r.i
      left join grant_ g on g.site_id = o.site_id`);
  const byIndex = new Map(answers.map((a) => [Number(a.i), a]));
  return requests.map((_, i): ThreadAnswer => {
    const a = byIndex.get(i);
    const answer = { held: a?.held ?? false, active: a?.active ?? false, leaseId: a?.lease_id == null ? null : Number(a.lease_id) };
    if (!a?.offered) return answer;
    if (a.no_pacing) return { ...answer, leaseId: null, noPacingRow: true };
    const databaseNow = a.now_ms!;
    // How far ahead the site is booked: up to its last start once this booking took starts (as bookStarts tells it).
    const bookedMs = a.last_ms != null ? a.last_ms - databaseNow : a.tat_ms != null ? a.tat_ms - databaseNow : null;
    const booking = a.booking == null ? null : Number(a.booking);
    return { ...answer, start: { startAt: a.start_ms, booking, databaseNow, bookedMs, holds: liveHolds(a.holds, databaseNow) } };
  });
}

export type ThreadTaker = (r: SendReservation) => Promise<ThreadAnswer>;

/** One statement per send. */
export const takeEachThread: (db: Database) => ThreadTaker = (db) => async (r) => (await takeThreads(db, [r]))[0]!;

/**
 * takeThreadsAndStarts for the sends of a process that ask for threads in the same turn of the event
 * loop, whatever their sites: one statement for all of them, instead of one each (or one per site,
 * which with messages spread over 100 sites was nearly one per send), and no booking statement after it.
 */
export function threadTaker(db: Database, maxBatch = 100): ThreadTaker {
  return coalescePerSite(() => "all sites", maxBatch, (batch) => takeThreadsAndStarts(db, batch));
}

/**
 * Runs the calls made for one key in the same turn of the event loop as one batch (at most
 * `maxBatch` each). A batch does not wait for the previous one: a send that must wait for a thread
 * or a start between two of its site's sends waits a round trip at most, which at a low rps with few
 * threads is what the rate is made of.
 */
function coalescePerSite<Q, A>(keyOf: (q: Q) => string, maxBatch: number, run: (batch: Q[]) => Promise<A[]>): (q: Q) => Promise<A> {
  type Waiting = { q: Q; resolve: (a: A) => void; reject: (error: unknown) => void };
  const pending = new Map<string, Waiting[]>();

  async function runBatch(batch: Waiting[]) {
    try {
      const answers = await run(batch.map((w) => w.q));
      batch.forEach((w, i) => w.resolve(answers[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  return (q) =>
    new Promise((resolve, reject) => {
      const key = keyOf(q);
      const waiting = pending.get(key);
      if (waiting) return void waiting.push({ q, resolve, reject });
      pending.set(key, [{ q, resolve, reject }]);
      setImmediate(() => {
        const all = pending.get(key)!;
        pending.delete(key);
        for (let i = 0; i < all.length; i += maxBatch) void runBatch(all.slice(i, i + maxBatch));
      });
    });
}

export interface BookedStarts {
  /** Consecutive starts on the database's clock, one interval apart; fewer than asked (none) when the horizon is reached. */
  starts: number[];
  /** The first start's booking number (the next ones follow it). */
  firstBooking: number;
  databaseNow: number;
  /** How far ahead the site is booked (ms) after this booking; null while it is being deactivated. */
  bookedMs: number | null;
  /** The site's live departure holds as the booking read them. */
  holds: DepartureHold[];
}

/**
 * Books up to `count` consecutive starts of the site (GCRA) in one statement, as many as begin within
 * the horizon; none while the site is being deactivated (its TAT is infinite). The pacing row is
 * locked before the clock is read, so a booking that waited for it still starts from now.
 */
export async function bookStarts(db: Database, siteId: string, rps: number, horizonMs: number, count: number): Promise<BookedStarts> {
  const interval = emissionIntervalMs(rps);
  for (;;) {
    const [row] = await executePrepared<{ first_ms: number; granted: number; first_booking: string; now_ms: number; booked_ms: number | null; holds: StoredHold[] | null }>(db, sql`
      with locked as (
        select theoretical_arrival_at as tat, booked_starts, departure_holds from site_pacing where site_id = ${siteId} for update
      ), grant_ as (
        select l.tat, l.now, greatest(l.tat, l.now) as first, l.booked_starts, l.departure_holds,
          case when l.tat <= l.now + ${horizonMs}::float8 * interval '1 millisecond'
            then least(${count}::float8, floor(extract(epoch from (l.now + ${horizonMs}::float8 * interval '1 millisecond' - greatest(l.tat, l.now))) * 1000 / ${interval}::float8) + 1)::int
            else 0 end as granted
        -- The clock is read here, once the row is locked.
        from (select tat, booked_starts, departure_holds, clock_timestamp() as now from locked) l
      ), booked as (
        update site_pacing p set theoretical_arrival_at = g.first + g.granted * ${interval}::float8 * interval '1 millisecond',
          booked_starts = g.booked_starts + g.granted
        from grant_ g where p.site_id = ${siteId} and g.granted > 0
        returning p.site_id
      )
      select extract(epoch from first)::float8 * 1000 as first_ms, granted, booked_starts as first_booking, extract(epoch from now)::float8 * 1000 as now_ms,
        case when tat < 'infinity' then extract(epoch from tat - now)::float8 * 1000 end as booked_ms,
        departure_holds as holds,
        ${ASYNC_COMMIT} as async_commit
      from grant_`);
    if (row) {
      const starts = Array.from({ length: row.granted }, (_, i) => row.first_ms + i * interval);
      // Once this booking took starts, the site is booked up to its last one.
      const bookedMs = row.granted > 0 ? row.first_ms + row.granted * interval - row.now_ms : row.booked_ms;
      return { starts, firstBooking: Number(row.first_booking), databaseNow: row.now_ms, bookedMs, holds: liveHolds(row.holds, row.now_ms) };
    }
    await addPacingRow(db, siteId);
  }
}

/** The site's first booking (or the first since it was activated again): its pacing row, then ask again. */

export type StartBooker = (
  siteId: string,
  rps: number,
  horizonMs: number,
) => Promise<{ startAt: number | null; booking: number | null; databaseNow: number; bookedMs: number | null; holds: DepartureHold[] }>;

/** One start per call, one statement each. */
export const bookEachStart: (db: Database) => StartBooker = (db) => async (siteId, rps, horizonMs) => {
  const { starts, firstBooking, databaseNow, bookedMs, holds } = await bookStarts(db, siteId, rps, horizonMs, 1);
  return { startAt: starts[0] ?? null, booking: starts[0] == null ? null : firstBooking, databaseNow, bookedMs, holds };
};

/**
 * Books the starts that a process's sends to one site ask for close together in one statement: on
 * a busy site every send otherwise takes the site's pacing row lock in turn, and on a loaded machine
 * each handover of that lock costs more than the statement. Starts go out in the order asked; a
 * send beyond what the horizon grants is told how far the site is booked.
 */
export function startBooker(db: Database, maxBatch = 100): StartBooker {
  type Ask = { siteId: string; rps: number; horizonMs: number };
  const booker = coalescePerSite<Ask, Awaited<ReturnType<StartBooker>>>(
    (a) => `${a.siteId}:${a.rps}:${a.horizonMs}`,
    maxBatch,
    async (batch) => {
      const { siteId, rps, horizonMs } = batch[0]!;
      const { starts, firstBooking, databaseNow, bookedMs, holds } = await bookStarts(db, siteId, rps, horizonMs, batch.length);
      return batch.map((_, i) => ({
        startAt: starts[i] ?? null,
        booking: starts[i] == null ? null : firstBooking + i,
        databaseNow,
        bookedMs: starts[i] == null ? bookedMs : null,
        holds,
      }));
    },
  );
  return (siteId, rps, horizonMs) => booker({ siteId, rps, horizonMs });
}

/** Gives back the thread of a reservation that got no start, and unmarks its attempt: nothing was sent. */
async function unreserve(db: Database, r: SendReservation, leaseId: number): Promise<void> {
  await executePrepared(db, sql`
    with lease as (
      update site_leases set expires_at = '-infinity', message_id = null
      where id = ${leaseId} and message_id = ${r.messageId}
      returning id
    )
    update webhook_messages set attempts = ${r.attemptNo - 1}, attempt_started_at = null
    where id = ${r.messageId} and locked_by = ${r.claimToken}`);
}

/**
 * One of the site's thread slots for a send that belongs to no message (Test connection), held by
 * `holderId` (recorded as the slot's message id, so releaseLease frees it) until released or `ttlMs`
 * passed; null while every thread is busy. The same slot rows as deliveries, so a test counts
 * against the site's threads like any send.
 */
export async function takeSpareThread(db: Database, site: { siteId: string; threads: number }, holderId: string, ttlMs: number): Promise<number | null> {
  for (;;) {
    const [row] = await db.execute<{ id: string }>(sql`
      with free as (
        select id from site_leases
        where site_id = ${site.siteId} and slot < ${site.threads} and expires_at <= clock_timestamp()
        order by slot limit 1
        for update skip locked
      )
      update site_leases l set message_id = ${holderId}, expires_at = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond'
      from free where l.id = free.id
      returning l.id`);
    if (row) return Number(row.id);
    if (!(await addMissingSlots(db, site.siteId, site.threads))) return null;
  }
}

/** Creates the site's slot rows up to `threads` (a new site, or more threads); false when none were missing. */
async function addMissingSlots(db: Database, siteId: string, threads: number): Promise<boolean> {
  return (await addThreadSlots(db, siteId, threads)) > 0;
}

export async function releaseLease(db: Database, leaseId: number, messageId: string): Promise<void> {
  await executePrepared(db, sql`
    update site_leases set expires_at = '-infinity', message_id = null
    where id = ${leaseId} and message_id = ${messageId}`);
}

/** A late send takes the next free start however far ahead (it already holds a thread). */
const ANY_HORIZON_MS = 365 * 24 * 3_600_000;

/**
 * Reserves a new start for a send that already holds a thread but woke too late for its first one
 * (see attempt-message.ts): the next free start, however far ahead; null once the site is paused
 * (a deactivation sets its TAT to infinity, see pause-site.ts).
 */
export async function reserveStartAgain(
  db: Database,
  siteId: string,
  rps: number,
  book: StartBooker = bookEachStart(db),
): Promise<{ startAt: number; booking: number; databaseNow: number; holds: DepartureHold[] } | null> {
  const { startAt, booking, databaseNow, holds } = await book(siteId, rps, ANY_HORIZON_MS);
  return startAt == null || booking == null ? null : { startAt, booking, databaseNow, holds };
}
