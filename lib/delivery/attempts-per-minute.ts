import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db";
import { webhookAttempts } from "../db/schema";
import { parseOrThrow } from "../validation";
import { ATTEMPT_STATUSES, logsFilterSchema, type AttemptStatusName } from "./logs-query";

const MINUTE = 60_000;
/** Bucket widths to choose from, finest first; the chart never draws more than MAX_BUCKETS bars. */
const BUCKET_SIZES = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 10_080].map((m) => m * MINUTE);
export const MAX_BUCKETS = 120;
/** Without a range, the chart shows this much before now (or before `to`). */
export const DEFAULT_CHART_RANGE_MS = 60 * MINUTE;

export type AttemptsBucket = { start: string } & Record<AttemptStatusName, number>;

export interface AttemptsOverTime {
  from: string;
  to: string;
  bucketMs: number;
  /** "minute", "5 minutes", "day"…: what one bar counts. */
  bucketLabel: string;
  /** True when the range was longer than MAX_BUCKETS of the widest bucket and was shortened. */
  shortened: boolean;
  buckets: AttemptsBucket[];
}

/**
 * Attempts per time bucket and status over the Logs filter's range (the last hour when none is
 * given), counted in SQL. Buckets are one minute when the range allows, coarser when it is long,
 * so there are never more than MAX_BUCKETS; empty buckets are included as zeros.
 */
export async function attemptsPerMinute(db: Database, query: unknown, now: Date = new Date()): Promise<AttemptsOverTime> {
  const q = parseOrThrow(logsFilterSchema, query);
  const to = q.to ? Date.parse(q.to) : now.getTime();
  let from = q.from ? Date.parse(q.from) : to - DEFAULT_CHART_RANGE_MS;
  // Buckets start on round times (UTC), so the first one may begin before `from`.
  const count = (size: number) => Math.ceil(to / size) - Math.floor(from / size);
  const bucketMs = BUCKET_SIZES.find((size) => count(size) <= MAX_BUCKETS) ?? BUCKET_SIZES.at(-1)!;
  const shortened = count(bucketMs) > MAX_BUCKETS;
  if (shortened) from = (Math.ceil(to / bucketMs) - MAX_BUCKETS) * bucketMs;

  // The width is inlined (a number chosen above) so GROUP BY sees the same expression as SELECT.
  const bucket = sql`date_bin(${sql.raw(`'${bucketMs} milliseconds'`)}::interval, ${webhookAttempts.createdAt}, timestamptz 'epoch')`;
  const rows = await db
    .select({
      startMs: sql<number>`extract(epoch from ${bucket})::float8 * 1000`,
      status: webhookAttempts.status,
      count: sql<number>`count(*)::int`,
    })
    .from(webhookAttempts)
    .where(
      and(
        // "Any status" spelled out changes no result, but lets PostgreSQL count from the status
        // indexes alone (index-only scans) instead of reading the table: ~40 % faster over days.
        q.status ? eq(webhookAttempts.status, q.status) : inArray(webhookAttempts.status, [...ATTEMPT_STATUSES]),
        q.siteId ? eq(webhookAttempts.siteId, q.siteId) : undefined,
        q.customerId ? eq(webhookAttempts.customerId, q.customerId) : undefined,
        q.action ? eq(webhookAttempts.action, q.action) : undefined,
        gte(webhookAttempts.createdAt, new Date(from)),
        lt(webhookAttempts.createdAt, new Date(to)),
      ),
    )
    .groupBy(sql`1`, sql`2`);

  const firstStart = Math.floor(from / bucketMs) * bucketMs;
  const buckets = new Map<number, AttemptsBucket>();
  for (let start = firstStart; start < to; start += bucketMs) {
    buckets.set(start, { start: new Date(start).toISOString(), ...zeros() });
  }
  for (const row of rows) {
    const b = buckets.get(Math.round(row.startMs));
    if (b) b[row.status] += row.count;
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketMs,
    bucketLabel: describeBucket(bucketMs),
    shortened,
    buckets: [...buckets.values()],
  };
}

function zeros(): Record<AttemptStatusName, number> {
  return Object.fromEntries(ATTEMPT_STATUSES.map((s) => [s, 0])) as Record<AttemptStatusName, number>;
}

function describeBucket(ms: number): string {
  const minutes = ms / MINUTE;
  if (minutes === 1) return "minute";
  if (minutes < 60) return `${minutes} minutes`;
  if (minutes === 60) return "hour";
  if (minutes < 1440) return `${minutes / 60} hours`;
  if (minutes === 1440) return "day";
  return `${minutes / 1440} days`;
}
