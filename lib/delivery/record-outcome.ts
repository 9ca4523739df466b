import { sql } from "drizzle-orm";
import type { Database } from "../db";
import type { ClaimedMessage } from "./claim-messages";
import { MAX_ATTEMPTS, type AttemptStatus } from "./delivery-rules";
import type { recordedRequest } from "./recorded-request";

export interface AttemptResult {
  succeeded: boolean;
  startedAt?: Date;
  responseCode?: number | null;
  durationMs?: number | null;
  error?: string | null;
  responseExcerpt?: string | null;
  request?: ReturnType<typeof recordedRequest> | null;
}

export type RecordedOutcome =
  | { kind: "done" }
  | { kind: "failed" }
  /** The attempt became `resent`; the next one is queued for `nextAttemptAt`. */
  | { kind: "retry"; nextAttemptAt: Date }
  /** The claim had passed to another worker: this result was not recorded. */
  | { kind: "lost" };

/**
 * Writes an attempt's result as DESIGN §3 says, in one statement: 2xx → attempt and message `done`;
 * a failure with attempts left → attempt `resent` and the next attempt `queued` `retryInMs` from now
 * (same message, same content); the last failure → attempt and message `failed`. The claim is
 * released and the thread lease returned. Only the claim's holder can record.
 */
export async function recordOutcome(
  db: Database,
  message: Pick<ClaimedMessage, "id" | "claimToken" | "attempt">,
  result: AttemptResult,
  options: { retryInMs: number; leaseId?: number },
): Promise<RecordedOutcome> {
  const attemptNo = message.attempt.attemptNo;
  const retry = !result.succeeded && attemptNo < MAX_ATTEMPTS;
  const attemptStatus: AttemptStatus = result.succeeded ? "done" : retry ? "resent" : "failed";
  const messageStatus = attemptStatus;
  const next = retry ? sql`clock_timestamp() + ${options.retryInMs}::float8 * interval '1 millisecond'` : sql`null::timestamptz`;
  const [row] = await db.execute<{ recorded: number; next_ms: number | null }>(sql`
    with msg as (
      update webhook_messages set
        status = ${messageStatus}, attempts = ${attemptNo}, next_attempt_at = ${next},
        finished_at = ${retry ? sql`null` : sql`clock_timestamp()`}, locked_until = null, locked_by = null
      where id = ${message.id} and locked_by = ${message.claimToken}
      returning id, site_id, customer_id, action, next_attempt_at
    ), attempt as (
      update webhook_attempts set
        status = ${attemptStatus},
        started_at = coalesce(${result.startedAt?.toISOString() ?? null}::timestamptz, started_at),
        finished_at = clock_timestamp(),
        response_code = ${result.responseCode ?? null}, duration_ms = ${result.durationMs ?? null},
        error = ${result.error ?? null}, response_excerpt = ${result.responseExcerpt ?? null},
        request = ${result.request ? JSON.stringify(result.request) : null}::jsonb
      where id = ${message.attempt.id} and exists (select 1 from msg)
      returning id
    ), next_attempt as (
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at)
      select id, site_id, customer_id, action, ${attemptNo + 1}, 'queued', next_attempt_at from msg
      where ${retry}
      returning id
    ), lease as (
      update site_leases set expires_at = '-infinity', message_id = null
      where id = ${options.leaseId ?? null}::bigint and message_id = ${message.id}
      returning id
    )
    select (select count(*) from msg)::int as recorded,
      (select extract(epoch from next_attempt_at)::float8 * 1000 from msg) as next_ms,
      (select count(*) from attempt) + (select count(*) from next_attempt) + (select count(*) from lease) as touched`);
  if (!row?.recorded) return { kind: "lost" };
  if (retry) return { kind: "retry", nextAttemptAt: new Date(row.next_ms!) };
  return { kind: result.succeeded ? "done" : "failed" };
}
