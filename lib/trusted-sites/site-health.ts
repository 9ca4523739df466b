import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { durationQuantile, emptyDurations, addDurations } from "../delivery/duration-histogram";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Site health covers this many hours, one chart bar each; the last one is the last hour. */
export const HEALTH_HOURS = 24;

export interface HealthFigures {
  /** Finished attempts (done, resent, failed). */
  attempts: number;
  succeeded: number;
  /** succeeded / attempts, null without attempts. */
  successRate: number | null;
  /** Duration percentiles (ms) of the attempts that have one, within the histogram's resolution. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface HealthHour extends HealthFigures {
  /** Start of the hour-long bucket (ISO). */
  start: string;
  failed: number;
}

export interface LastFailure {
  messageId: string;
  attemptNo: number;
  /** When the attempt ended (its creation time if it never did, which a failed attempt always has). */
  at: string;
  responseCode: number | null;
  error: string | null;
}

export interface SiteHealth {
  /** [from, to): the last 24 hours in whole minutes, ending with the current minute. */
  from: string;
  to: string;
  lastHour: HealthFigures;
  lastDay: HealthFigures;
  hours: HealthHour[];
  lastFailure: LastFailure | null;
}

/** The 24 hour-long buckets ending with the current minute (whole minutes, as the rollup counts). */
function healthWindow(now: Date) {
  const to = Math.floor(now.getTime() / MINUTE) * MINUTE + MINUTE;
  return { from: to - HEALTH_HOURS * HOUR, to };
}

/**
 * A site's health over the last hour and the last 24 hours: attempts' success rate and p50/p95
 * duration by hour, read from the per-minute rollup (at most 1,440 × 3 rows, whatever the traffic),
 * and its last failed attempt (`lastFailedAttempt`). Attempts count
 * by creation time, as in the Logs; a failure is an attempt that was resent or failed.
 */
export async function readSiteHealth(db: Database, siteId: string, now = new Date()): Promise<SiteHealth> {
  const window = healthWindow(now);
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const [rows, failures] = await Promise.all([
    db.execute<{ start_ms: number; succeeded: number; failed: number; durations: number[] | null }>(sql`
      select extract(epoch from date_bin('1 hour', minute, ${from}::timestamptz))::float8 * 1000 as start_ms,
        coalesce(sum(attempts) filter (where status = 'done'), 0)::int as succeeded,
        coalesce(sum(attempts) filter (where status <> 'done'), 0)::int as failed,
        attempt_durations_sum(durations) as durations
      from attempt_minutes
      where site_id = ${siteId} and minute >= ${from}::timestamptz and minute < ${to}::timestamptz
      group by 1`),
    lastFailedAttempt(db, siteId),
  ]);

  const byStart = new Map(rows.map((r) => [Math.round(r.start_ms), r]));
  const hours: HealthHour[] = [];
  const dayDurations = emptyDurations();
  for (let start = window.from; start < window.to; start += HOUR) {
    const row = byStart.get(start);
    const durations = row?.durations ?? emptyDurations();
    addDurations(dayDurations, durations);
    hours.push({ start: new Date(start).toISOString(), failed: row?.failed ?? 0, ...figures(row?.succeeded ?? 0, row?.failed ?? 0, durations) });
  }
  const day = hours.reduce((n, h) => ({ succeeded: n.succeeded + h.succeeded, failed: n.failed + h.failed }), { succeeded: 0, failed: 0 });
  const failure = failures[0];
  return {
    from,
    to,
    lastHour: withoutBucket(hours.at(-1)!),
    lastDay: figures(day.succeeded, day.failed, dayDurations),
    hours,
    lastFailure: failure
      ? {
          messageId: failure.message_id,
          attemptNo: failure.attempt_no,
          at: new Date(failure.at).toISOString(),
          responseCode: failure.response_code,
          error: failure.error,
        }
      : null,
  };
}

type FailedAttemptRow = { message_id: string; attempt_no: number; at: Date | string; response_code: number | null; error: string | null };

/**
 * The site's newest resent or failed attempt. The rollup names the minute it was created in, and
 * that minute, given as values, is all PostgreSQL plans of webhook_attempts (one or two day
 * partitions instead of every one); should the rollup name no attempt, the whole retention is read.
 */
async function lastFailedAttempt(db: Database, siteId: string): Promise<FailedAttemptRow[]> {
  const [latest] = await db.execute<{ minute: Date | string }>(sql`
    select minute from attempt_minutes where site_id = ${siteId} and status in ('resent', 'failed') order by minute desc limit 1`);
  if (!latest) return [];
  const start = new Date(latest.minute).getTime();
  const inMinute = await db.execute<FailedAttemptRow>(newestFailure(siteId, start, start + MINUTE));
  return inMinute.length > 0 ? inMinute : db.execute<FailedAttemptRow>(newestFailure(siteId));
}

/** Newest resent and newest failed attempt (within [from, to) when given), each the first row of a backward index scan. */
function newestFailure(siteId: string, from?: number, to?: number) {
  const within = from === undefined || to === undefined
    ? sql``
    : sql` and created_at >= ${new Date(from).toISOString()}::timestamptz and created_at < ${new Date(to).toISOString()}::timestamptz`;
  return sql`
    select message_id, attempt_no, coalesce(finished_at, created_at) as at, response_code, error from (
      (select * from webhook_attempts where site_id = ${siteId} and status = 'failed'${within} order by created_at desc, id desc limit 1)
      union all
      (select * from webhook_attempts where site_id = ${siteId} and status = 'resent'${within} order by created_at desc, id desc limit 1)
    ) f order by created_at desc, id desc limit 1`;
}

function figures(succeeded: number, failed: number, durations: readonly number[]): HealthFigures {
  const attempts = succeeded + failed;
  return {
    attempts,
    succeeded,
    successRate: attempts === 0 ? null : succeeded / attempts,
    p50Ms: durationQuantile(durations, 0.5),
    p95Ms: durationQuantile(durations, 0.95),
  };
}

function withoutBucket({ attempts, succeeded, successRate, p50Ms, p95Ms }: HealthHour): HealthFigures {
  return { attempts, succeeded, successRate, p50Ms, p95Ms };
}

export interface SparklineHour {
  succeeded: number;
  failed: number;
}

/**
 * Succeeded and failed attempts per hour over the last 24 hours (oldest first) of every given
 * site, in one query over the rollup; sites without attempts get 24 zero hours.
 */
export async function readSiteSparklines(db: Database, siteIds: string[], now = new Date()): Promise<Map<string, SparklineHour[]>> {
  const window = healthWindow(now);
  const from = new Date(window.from).toISOString();
  const lines = new Map(siteIds.map((id) => [id, Array.from({ length: HEALTH_HOURS }, () => ({ succeeded: 0, failed: 0 }))]));
  if (siteIds.length === 0) return lines;
  const rows = await db.execute<{ site_id: string; hour: number; succeeded: number; failed: number }>(sql`
    select site_id, floor(extract(epoch from minute - ${from}::timestamptz) / 3600)::int as hour,
      coalesce(sum(attempts) filter (where status = 'done'), 0)::int as succeeded,
      coalesce(sum(attempts) filter (where status <> 'done'), 0)::int as failed
    from attempt_minutes
    where site_id = any(${`{${siteIds.join(",")}}`}::uuid[])
      and minute >= ${from}::timestamptz and minute < ${new Date(window.to).toISOString()}::timestamptz
    group by 1, 2`);
  for (const row of rows) {
    const hour = lines.get(row.site_id)?.[row.hour];
    if (hour) Object.assign(hour, { succeeded: row.succeeded, failed: row.failed });
  }
  return lines;
}
