import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { attemptsNotAfter, attemptsNotBefore } from "../db/attempt-partitions";
import { executePrepared } from "../db/prepared";
import { addToAttemptMinutes } from "./attempt-minutes";
import type { ClaimedMessage } from "./claim-messages";
import { DUE_CHANNEL } from "./announce";
import { isDatabaseOutage } from "./database-outage";
import type { AttemptStatus } from "./policy/delivery-rules";
import { MAX_POLICY_ATTEMPTS } from "./policy/retry-policy";
import type { recordedRequest } from "./recorded-request";

export interface AttemptResult {
  succeeded: boolean;
  startedAt?: Date;
  responseCode?: number | null;
  durationMs?: number | null;
  error?: string | null;
  responseExcerpt?: string | null;
  request?: ReturnType<typeof recordedRequest> | null;
  /** The receiver's Retry-After header (read by the retry policy, not stored). */
  retryAfter?: string | null;
}

export type RecordedOutcome =
  | { kind: "done" }
  /** `failingSince`: every attempt to the site has failed since then, for longer than its policy allows (deactivate it). */
  | { kind: "failed"; failingSince?: Date }
  /** The attempt became `resent`; the next one is queued for `nextAttemptAt`. */
  | { kind: "retry"; nextAttemptAt: Date; failingSince?: Date }
  /** The claim had passed to another worker: this result was not recorded. */
  | { kind: "lost" };

export interface OutcomeToRecord {
  /** With `createdAt`, the attempt's update skips the day partitions before its message was created and the days ahead. */
  message: Pick<ClaimedMessage, "id" | "claimToken" | "attempt"> & Partial<Pick<ClaimedMessage, "createdAt">>;
  result: AttemptResult;
  options: {
    /** A failed attempt is followed by the next one this much later; null: it was the last (retry-decision.ts decides). */
    retryInMs: number | null;
    leaseId?: number;
    /** The site's automatic deactivation period; null or unset: never. */
    deactivateAfterMs?: number | null;
  };
}

/**
 * Writes an attempt's result as DESIGN §3 says, in one statement: 2xx → attempt and message `done`;
 * a failure followed by another attempt (`retryInMs` set) → attempt `resent` and the next attempt
 * `queued` `retryInMs` from now (same message, same content); the last failure → attempt and message
 * `failed`. The claim is released and the thread lease returned. Only the claim's holder can record.
 * The site's `failing_since` is set by its first failure after a success and cleared by a success
 * (written only when it flips); a failure more than `deactivateAfterMs` after it is reported back.
 */
export async function recordOutcome(
  db: Database,
  message: OutcomeToRecord["message"],
  result: AttemptResult,
  options: OutcomeToRecord["options"],
): Promise<RecordedOutcome> {
  const [outcome] = await recordOutcomes(db, [{ message, result, options }]);
  return outcome!;
}

/**
 * recordOutcome for several attempts (of different messages) in one statement and one synchronous
 * commit; the outcomes come back in the order given.
 */
export async function recordOutcomes(db: Database, outcomes: OutcomeToRecord[]): Promise<RecordedOutcome[]> {
  // One JSON parameter, so the statement's text is the same for any batch size (a prepared statement).
  const rows = outcomes.map(({ message, result, options }) => {
    const attemptNo = message.attempt.attemptNo;
    const retry = !result.succeeded && options.retryInMs !== null && attemptNo < MAX_POLICY_ATTEMPTS;
    const status: AttemptStatus = result.succeeded ? "done" : retry ? "resent" : "failed";
    return {
      message_id: message.id,
      claim_token: message.claimToken,
      attempt_no: attemptNo,
      status,
      retry,
      retry_in_ms: options.retryInMs ?? 0,
      started_at: result.startedAt?.toISOString() ?? null,
      response_code: result.responseCode ?? null,
      duration_ms: result.durationMs ?? null,
      error: result.error ?? null,
      response_excerpt: result.responseExcerpt ?? null,
      request: result.request ?? null,
      lease_id: options.leaseId ?? null,
      deactivate_after_ms: options.deactivateAfterMs ?? null,
    };
  });
  const createdAt = outcomes.map((o) => o.message.createdAt);
  const recorded = await executePrepared<{ id: string; next_ms: number | null; failing_since_ms: number | null }>(db, sql`
    with outcome as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as o(message_id uuid, claim_token uuid,
        attempt_no smallint, status delivery_status, retry boolean, retry_in_ms float8, started_at timestamptz,
        response_code int, duration_ms int, error text, response_excerpt text, request jsonb, lease_id bigint,
        deactivate_after_ms float8)
    ), clock as materialized (
      -- One reading for the statement: an attempt ends when its message's next attempt is scheduled
      -- from, exactly the retry's wait before it.
      select clock_timestamp() as now
    ), msg as (
      update webhook_messages m set
        status = o.status, attempts = o.attempt_no,
        next_attempt_at = case when o.retry then clock.now + o.retry_in_ms * interval '1 millisecond' end,
        finished_at = case when o.retry then null else clock.now end,
        locked_until = null, locked_by = null, attempt_started_at = null
      -- Each table through its primary key (an array): as a plain join the planner, guessing 100
      -- outcomes, reads the whole table.
      from outcome o cross join clock
      where m.id = o.message_id and m.locked_by = o.claim_token and m.id = any(array(select message_id from outcome))
      returning m.id, m.site_id, m.customer_id, m.action, m.next_attempt_at, o.retry, o.attempt_no, clock.now
    ), attempt as (
      update webhook_attempts a set
        status = o.status,
        started_at = coalesce(o.started_at, a.started_at),
        finished_at = msg.now,
        response_code = o.response_code, duration_ms = o.duration_ms,
        error = o.error, response_excerpt = o.response_excerpt, request = o.request
      -- The current attempt by (message, number), through that index (an array, as above).
      from outcome o join msg on msg.id = o.message_id
      where a.message_id = o.message_id and a.attempt_no = o.attempt_no and a.message_id = any(array(select message_id from outcome))
        and a.created_at >= ${attemptsNotBefore(createdAt)}::timestamptz
        and a.created_at <= greatest(now(), ${attemptsNotAfter(createdAt)}::timestamptz)
      returning a.id, a.site_id, a.created_at, a.status, a.duration_ms
    ), rollup as (
      ${addToAttemptMinutes(sql`attempt`)}
    ), next_attempt as (
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at)
      select id, site_id, customer_id, action, attempt_no + 1, 'queued', next_attempt_at from msg
      where retry
      returning id
    ), lease as (
      update site_leases l set expires_at = '-infinity', message_id = null
      from outcome o
      where l.id = o.lease_id and l.message_id = o.message_id and l.id = any(array(select lease_id from outcome where lease_id is not null))
      returning l.id
    ), site_outcome as (
      select msg.site_id, bool_or(o.status = 'done') as succeeded, min(o.deactivate_after_ms) as deactivate_after_ms
      from outcome o join msg on msg.id = o.message_id
      group by msg.site_id
    ), flipped as (
      -- Only a site whose failing_since changes is written (steady success or failure writes nothing),
      -- locked in id order so two batches flipping the same sites cannot deadlock; "no key update"
      -- (what the update takes anyway) leaves foreign-key checks (KEY SHARE, an enqueue's) unblocked.
      select s.id from trusted_sites s join site_outcome f on f.site_id = s.id
      where (s.failing_since is null) <> f.succeeded
      order by s.id for no key update of s
    ), failing as (
      update trusted_sites s set failing_since = case when f.succeeded then null else clock_timestamp() end
      from site_outcome f
      where s.id = f.site_id and s.id in (select id from flipped)
      returning s.id
    ), failing_too_long as (
      -- failing_since as it was before this batch: the first failure after a success never counts.
      select f.site_id, extract(epoch from s.failing_since)::float8 * 1000 as since_ms
      from site_outcome f join trusted_sites s on s.id = f.site_id
      where not f.succeeded and s.status = 'active'
        and s.failing_since <= clock_timestamp() - f.deactivate_after_ms * interval '1 millisecond'
    ), line_moved as (
      -- A finished message at an ordered site lets its customer's next one go: tell the local workers
      -- (delivered on commit; one notification per statement, as PostgreSQL folds equal ones).
      -- A hashed subplan over the few ordered sites: other sites' outcomes read no more buffers.
      select pg_notify(${DUE_CHANNEL}, '') from msg
      where not msg.retry and msg.site_id in (select id from trusted_sites where ordered_per_customer) limit 1
    )
    -- attempt, rollup, next_attempt, lease and failing run to completion though unread (PostgreSQL's rule for WITH);
    -- line_moved, a plain select, runs only because it is read.
    -- Rounded up: a JS Date keeps whole ms, and a wake-up at the truncated time would find the attempt not yet due.
    select msg.id, ceil(extract(epoch from msg.next_attempt_at)::float8 * 1000) as next_ms, t.since_ms as failing_since_ms,
      (select count(*) from line_moved)::int as line_moved
    from msg left join failing_too_long t on t.site_id = msg.site_id`);
  const byMessage = new Map(recorded.map((r) => [r.id, r]));
  return outcomes.map(({ message, result }): RecordedOutcome => {
    const row = byMessage.get(message.id);
    if (!row) return { kind: "lost" };
    const failing = row.failing_since_ms != null ? { failingSince: new Date(row.failing_since_ms) } : {};
    if (row.next_ms != null) return { kind: "retry", nextAttemptAt: new Date(row.next_ms), ...failing };
    return result.succeeded ? { kind: "done" } : { kind: "failed", ...failing };
  });
}

/**
 * Records the outcomes of attempts that finish close together in one statement: a worker process
 * sending hundreds per second otherwise pays a round trip, a statement and a WAL flush for each.
 * Each caller's promise settles once its outcome is committed (or the statement failed), so an
 * attempt still counts as finished only after its result is recorded. Up to `maxWriting`
 * statements run at once (what finishes meanwhile goes into the next): one waiting for its commit's
 * WAL flush need not hold back the outcomes that arrived since.
 */
export function outcomeBatcher(
  db: Database,
  options: {
    maxBatch?: number;
    maxWriting?: number;
    /**
     * Asked as an outcome's statement is issued: the thread lease it releases, if it still has one to
     * release (the local worker may have handed the slot on since the send was over).
     */
    leaseAtIssue?: (messageId: string, leaseId: number | undefined) => number | undefined;
  } = {},
) {
  const { maxBatch = 200, maxWriting = 2, leaseAtIssue } = options;
  type Waiting = OutcomeToRecord & { resolve: (outcome: RecordedOutcome) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let writing = 0;
  let scheduled = false;

  async function write() {
    scheduled = false;
    if (writing >= maxWriting || waiting.length === 0) return;
    writing++;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(maxBatch);
    if (leaseAtIssue) for (const w of batch) w.options = { ...w.options, leaseId: leaseAtIssue(w.message.id, w.options.leaseId) };
    try {
      const outcomes = await recordOutcomes(db, batch);
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1 || isDatabaseOutage(error)) {
        for (const w of batch) w.reject(error);
      } else {
        // One outcome the database refuses (say, a response excerpt it cannot store) must not fail
        // its neighbours: their sends happened, and an unrecorded result means a resend.
        await Promise.all(batch.map((w) => recordOutcomes(db, [w]).then(([outcome]) => w.resolve(outcome!), w.reject)));
      }
    } finally {
      writing--;
      if (waiting.length > 0) schedule();
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void write());
  }

  return (message: OutcomeToRecord["message"], result: AttemptResult, options: OutcomeToRecord["options"]) =>
    new Promise<RecordedOutcome>((resolve, reject) => {
      waiting.push({ message, result, options, resolve, reject });
      if (writing < maxWriting) schedule();
    });
}

export type OutcomeRecorder = ReturnType<typeof outcomeBatcher>;
