import { and, asc, desc, eq, inArray, isNotNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { positionBound, positionOf } from "../db/page-position";
import { LATEST_DATE_MS } from "../page-cursor";
import { customers, trustedSites, webhookAttempts, webhookMessages, workflowRuns, workflows } from "../db/schema";
import { NotFoundError } from "../errors";
import { parseOrThrow } from "../validation";
import { IN_FLIGHT, RETENTION_MS } from "../delivery/policy/delivery-rules";
import { DEFAULT_ATTEMPTS, MAX_POLICY_ATTEMPTS } from "../delivery/policy/retry-policy";
import { logsQuerySchema, queueQuerySchema } from "./logs-query";

/**
 * What the Logs, Queue, message and customer pages read (DESIGN §8), camelCase, newest first,
 * keyset-paginated on (created_at, id): see lib/webhooks/logs-query.ts for the cursor.
 */
export { logsQuerySchema, queueQuerySchema } from "./logs-query";


const messageAttemptColumns = {
  id: webhookAttempts.id,
  messageId: webhookAttempts.messageId,
  attemptNo: webhookAttempts.attemptNo,
  status: webhookAttempts.status,
  createdAt: webhookAttempts.createdAt,
  scheduledAt: webhookAttempts.scheduledAt,
  startedAt: webhookAttempts.startedAt,
  finishedAt: webhookAttempts.finishedAt,
  responseCode: webhookAttempts.responseCode,
  durationMs: webhookAttempts.durationMs,
  error: webhookAttempts.error,
  responseExcerpt: webhookAttempts.responseExcerpt,
  request: webhookAttempts.request,
  action: webhookAttempts.action,
  siteId: webhookAttempts.siteId,
  customerId: webhookAttempts.customerId,
};

/**
 * The n of "attempt k of n": the site's policy as it is now (read at send time, so it is what the
 * next attempt obeys), or more when a message already made more attempts under an earlier policy.
 */
const policyAttempts = sql`coalesce((${trustedSites.retryPolicy} ->> 'attempts')::int, ${sql.raw(String(DEFAULT_ATTEMPTS))})`;

/**
 * A send under way is marked started on its message (`attempt_started_at`, reserve-send.ts) until its
 * result is recorded on the attempt row: the current attempt shows that start meanwhile.
 */
const startedAtShown = sql`coalesce(${webhookAttempts.startedAt}, case when ${webhookAttempts.status} = 'queued'
  and ${webhookAttempts.attemptNo} <= ${webhookMessages.attempts} then ${webhookMessages.attemptStartedAt} end)`.mapWith(webhookAttempts.startedAt);

const attemptColumns = {
  ...messageAttemptColumns,
  startedAt: startedAtShown,
  siteName: trustedSites.name,
  customerName: customers.name,
  maxAttempts: sql<number>`greatest(${policyAttempts}, ${webhookAttempts.attemptNo})::int`,
};

/**
 * How far back from a page's upper end (its cursor, `to`, or now) the Logs look first, before the
 * whole retention. PostgreSQL plans every day partition of webhook_attempts that a statement's
 * values cannot rule out (~0.5 ms each, opening its 9 indexes; ~98 with a full retention), and a
 * busy installation fills a page from the last hour. Rows are read newest first, so a span that
 * yields a full page holds the page: the older rows it leaves out come after it.
 */
const LOGS_SPANS_MS = [3_600_000, 86_400_000, 7 * 86_400_000];

/** A cursor's time in whole milliseconds, rounded up past it: no row the cursor comes before is later. */
const cursorTimeCeiling = (micros: string) => Number(BigInt(micros) / 1000n) + 1;

/** Attempts, newest first, filtered as the Logs page filters them. */
export async function listAttemptLogs(db: Database, query: unknown) {
  const q = parseOrThrow(logsQuerySchema, query);
  const upperEnd = q.cursor ? cursorTimeCeiling(q.cursor.micros) : q.to ? Date.parse(q.to) : Date.now();
  const from = q.from ? Date.parse(q.from) : -Infinity;
  for (const span of LOGS_SPANS_MS) {
    const since = upperEnd - span;
    if (since <= from) break;
    const rows = await attemptLogsQuery(db, q, new Date(since));
    if (rows.length > q.limit) return page(rows, q.limit);
  }
  return page(await attemptLogsQuery(db, q), q.limit);
}

/**
 * The Logs query, unexecuted (tests read its plan). Each filter is an equality on one column, with
 * the (created_at, id) keyset, so one index per filter serves it. Attempts past the retention are not
 * shown, though the day the cutoff falls in is dropped whole only once it has ended (purge-expired.ts);
 * the bound also lets PostgreSQL skip the partitions before it when the query starts. `since` (and a
 * cursor's time) are values PostgreSQL sees when it plans, so the partitions outside are not planned.
 */
export function attemptLogsQuery(db: Database, q: z.output<typeof logsQuerySchema>, since?: Date) {
  const filters: (SQL | undefined)[] = [
    q.status ? eq(webhookAttempts.status, q.status) : undefined,
    q.siteId ? eq(webhookAttempts.siteId, q.siteId) : undefined,
    q.customerId ? eq(webhookAttempts.customerId, q.customerId) : undefined,
    q.action ? eq(webhookAttempts.action, q.action) : undefined,
    // Cast in SQL, not through Date, so microseconds in a bound are kept.
    q.from ? sql`${webhookAttempts.createdAt} >= ${q.from}::timestamptz` : undefined,
    q.to ? sql`${webhookAttempts.createdAt} < ${q.to}::timestamptz` : undefined,
    since ? sql`${webhookAttempts.createdAt} >= ${since.toISOString()}::timestamptz` : undefined,
    q.cursor && sql`(${webhookAttempts.createdAt}, ${webhookAttempts.id}) < (${positionBound(q.cursor.micros)}, ${q.cursor.id}::bigint)`,
    // The same bound as a value rounded up to the millisecond: the row comparison above is no partition bound.
    // (A cursor in the last millisecond of 9999 needs none, and its ceiling has no ISO 8601 year.)
    q.cursor && cursorTimeCeiling(q.cursor.micros) < LATEST_DATE_MS
      ? sql`${webhookAttempts.createdAt} <= ${new Date(cursorTimeCeiling(q.cursor.micros)).toISOString()}::timestamptz`
      : undefined,
    sql`${webhookAttempts.createdAt} >= now() - ${sql.raw(String(RETENTION_MS))} * interval '1 millisecond'`,
  ];
  return db
    .select({ ...attemptColumns, resentFromMessageId: webhookMessages.resentFromMessageId, position: positionOf(webhookAttempts.createdAt) })
    .from(webhookAttempts)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookAttempts.siteId))
    .innerJoin(customers, eq(customers.id, webhookAttempts.customerId))
    .innerJoin(webhookMessages, eq(webhookMessages.id, webhookAttempts.messageId))
    .where(and(...filters))
    .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
    .limit(q.limit + 1);
}

/** A message in flight to a site that is not active is paused: nothing is sent until the site is activated. */
const paused = sql<boolean>`(${inArray(webhookMessages.status, [...IN_FLIGHT])} and ${trustedSites.status} <> 'active')`;

/** Messages still in flight (the Queue), newest first, with the attempts sent so far and the last error; `paused` while the site is inactive. */
export async function listInFlight(db: Database, query: unknown) {
  const q = parseOrThrow(queueQuerySchema, query);
  const rows = await inFlightQuery(db, q);
  const errors = await lastErrors(db, rows);
  return page(rows.map((row) => ({ ...row, lastError: errors.get(row.id) ?? null })), q.limit);
}

/**
 * The newest error of each message's attempts, through the (message_id, attempt_no) index, read after
 * the messages: no attempt is older than its message, so the oldest message shown bounds created_at
 * with a value PostgreSQL plans with, and only the day partitions since then are planned.
 */
async function lastErrors(db: Database, messages: { id: string; createdAt: Date }[]): Promise<Map<string, string>> {
  if (messages.length === 0) return new Map();
  const oldest = Math.min(...messages.map((m) => m.createdAt.getTime()));
  const rows = await db
    .selectDistinctOn([webhookAttempts.messageId], { messageId: webhookAttempts.messageId, error: webhookAttempts.error })
    .from(webhookAttempts)
    .where(
      and(
        inArray(webhookAttempts.messageId, messages.map((m) => m.id)),
        sql`${webhookAttempts.createdAt} >= ${new Date(oldest).toISOString()}::timestamptz`,
        isNotNull(webhookAttempts.error),
      ),
    )
    .orderBy(webhookAttempts.messageId, desc(webhookAttempts.attemptNo));
  return new Map(rows.map((r) => [r.messageId, r.error!]));
}

/** A message as the Queue and the message page show it, joined with its site and customer. */
const messageColumns = {
  id: webhookMessages.id,
  status: webhookMessages.status,
  action: webhookMessages.action,
  siteId: webhookMessages.siteId,
  siteName: trustedSites.name,
  /** Set when the site is a legacy workflow node's connection (it has no page of its own): link the workflow instead. */
  siteWorkflowId: trustedSites.workflowId,
  customerId: webhookMessages.customerId,
  customerName: customers.name,
  // Attempts started so far: after a failure the next one is queued, not sent, and not counted.
  attempts: webhookMessages.attempts,
  /** "of n" (see policyAttempts); a queued next attempt counts too. */
  maxAttempts: sql<number>`greatest(${policyAttempts}, ${webhookMessages.attempts} + case when ${inArray(webhookMessages.status, [...IN_FLIGHT])} then 1 else 0 end)::int`,
  nextAttemptAt: webhookMessages.nextAttemptAt,
  paused,
};

/** The Queue query, unexecuted (tests read its plan). */
export function inFlightQuery(db: Database, q: z.output<typeof queueQuerySchema>) {
  return db
    .select({
      ...messageColumns,
      /** A worker holds the message: an attempt is being sent. */
      sending: sql<boolean>`coalesce(${webhookMessages.lockedUntil} > clock_timestamp(), false)`,
      /** The site delivers in order per customer and an earlier message of the customer is still in flight (DESIGN §3). */
      waitingForEarlier: sql<boolean>`(${trustedSites.orderedPerCustomer} and exists (
        select 1 from ${webhookMessages} e
        where e.site_id = ${webhookMessages.siteId} and e.customer_id = ${webhookMessages.customerId} and e.status in ('queued', 'resent')
          and (e.created_at, e.id) < (${webhookMessages.createdAt}, ${webhookMessages.id})))`,
      createdAt: webhookMessages.createdAt,
      position: positionOf(webhookMessages.createdAt),
    })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .innerJoin(customers, eq(customers.id, webhookMessages.customerId))
    .where(
      and(
        inArray(webhookMessages.status, [...IN_FLIGHT]),
        q.cursor && sql`(${webhookMessages.createdAt}, ${webhookMessages.id}) < (${positionBound(q.cursor.micros)}, ${q.cursor.id}::uuid)`,
      ),
    )
    .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
    .limit(q.limit + 1);
}

function page<T extends { id: string | number; position: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => {
      const item: Omit<T, "position"> & { position?: string } = { ...row };
      delete item.position;
      return item;
    }),
    nextCursor: rows.length > limit && last ? `${last.position}.${last.id}` : null,
  };
}

/**
 * A message with its attempts (oldest first), `paused` while in flight to a site that is not active,
 * the payload as stored, the messages it was resent as, and the workflow run that made it (`madeBy`).
 * The message and the messages it was resent as are read at once, then its attempts (at most
 * MAX_POLICY_ATTEMPTS rows by the (message_id, attempt_no) key) within its lifetime: two round trips,
 * each an index lookup.
 */
export async function getMessage(db: Database, id: string) {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such message");
  const [[message], resentAs] = await Promise.all([
    db
      .select({
        ...messageColumns,
        payload: webhookMessages.payload,
        contentHash: webhookMessages.contentHash,
        idempotencyKey: webhookMessages.idempotencyKey,
        resentFromMessageId: webhookMessages.resentFromMessageId,
        workflowRunId: webhookMessages.workflowRunId,
        workflowId: workflowRuns.workflowId,
        workflowName: workflows.name,
        createdAt: webhookMessages.createdAt,
        finishedAt: webhookMessages.finishedAt,
        attemptStartedAt: webhookMessages.attemptStartedAt,
      })
      .from(webhookMessages)
      .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
      .innerJoin(customers, eq(customers.id, webhookMessages.customerId))
      .leftJoin(workflowRuns, eq(workflowRuns.id, webhookMessages.workflowRunId))
      .leftJoin(workflows, eq(workflows.id, workflowRuns.workflowId))
      .where(eq(webhookMessages.id, id)),
    db
      .select({ id: webhookMessages.id, status: webhookMessages.status, createdAt: webhookMessages.createdAt })
      .from(webhookMessages)
      .where(eq(webhookMessages.resentFromMessageId, id))
      .orderBy(asc(webhookMessages.createdAt)),
  ]);
  if (!message) throw new NotFoundError("No such message");
  const attempts = await messageAttempts(db, id, message);
  const { workflowId, workflowName, attemptStartedAt, ...rest } = message;
  const madeBy = rest.workflowRunId && workflowId && workflowName ? { runId: rest.workflowRunId, workflowId, workflowName } : null;
  // An attempt's site and customer are its message's: no join needed to name them.
  const attemptLog = attempts.map((a) => ({
    ...a,
    // The send under way is marked started on the message until its result is recorded.
    startedAt: a.startedAt ?? (a.status === "queued" && a.attemptNo <= rest.attempts ? attemptStartedAt : null),
    siteName: message.siteName,
    customerName: message.customerName,
    maxAttempts: Math.max(message.maxAttempts, a.attemptNo),
  }));
  return { ...rest, madeBy, attemptLog, resentAs };
}

export type MessageDetail = Awaited<ReturnType<typeof getMessage>>;

/**
 * A message's attempts, read after the message: its lifetime (created, finished) bounds their
 * created_at as values PostgreSQL plans with, so only the day partitions it lived in are planned
 * instead of every one (~99 with a full retention). Milliseconds are floored and ceiled, so the
 * bounds only widen.
 */
function messageAttempts(db: Database, id: string, lifetime: { createdAt: Date; finishedAt: Date | null }) {
  return db
    .select(messageAttemptColumns)
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.messageId, id),
        sql`${webhookAttempts.createdAt} >= ${lifetime.createdAt.toISOString()}::timestamptz`,
        lifetime.finishedAt ? sql`${webhookAttempts.createdAt} <= ${new Date(lifetime.finishedAt.getTime() + 1).toISOString()}::timestamptz` : undefined,
      ),
    )
    .orderBy(asc(webhookAttempts.attemptNo))
    .limit(MAX_POLICY_ATTEMPTS);
}

/** A customer's most recent messages, newest first (the customer profile). */
export function listCustomerMessages(db: Database, customerId: string, limit = 20) {
  return db
    .select({
      id: webhookMessages.id,
      status: webhookMessages.status,
      action: webhookMessages.action,
      siteId: webhookMessages.siteId,
      siteName: trustedSites.name,
      attempts: webhookMessages.attempts,
      createdAt: webhookMessages.createdAt,
      finishedAt: webhookMessages.finishedAt,
    })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .where(eq(webhookMessages.customerId, customerId))
    .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
    .limit(limit);
}

