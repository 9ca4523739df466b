import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "../db/schema";
import { NotFoundError } from "../errors";
import { parseOrThrow } from "../validation";
import { IN_FLIGHT } from "./delivery-rules";

/**
 * What the Logs, Queue and message pages read (DESIGN §8), camelCase, newest first, keyset-paginated
 * on (created_at, id). A cursor carries created_at in microseconds: milliseconds would skip rows
 * created within the same millisecond as a page's last one.
 */
const cursorSchema = z
  .string()
  .regex(/^\d{1,20}\.[0-9a-f-]{1,36}$/, "Not a cursor from this API")
  .transform((c) => {
    const [micros, id] = c.split(".") as [string, string];
    return { micros, id };
  });

const pageSchema = {
  cursor: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const logsQuerySchema = z.object({
  ...pageSchema,
  status: z.enum(["queued", "resent", "done", "failed"]).optional(),
  siteId: z.uuid().optional(),
  customerId: z.uuid().optional(),
  action: z.string().trim().min(1).max(200).optional(),
  /** Attempts created at or after this instant (ISO 8601 with offset)… */
  from: z.iso.datetime({ offset: true }).optional(),
  /** …and before this one. */
  to: z.iso.datetime({ offset: true }).optional(),
});

export const queueQuerySchema = z.object({ ...pageSchema });

const micros = (column: typeof webhookAttempts.createdAt | typeof webhookMessages.createdAt) => sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`;
const fromMicros = (value: string) => sql`(timestamptz 'epoch' + ${value}::bigint * interval '1 microsecond')`;

const attemptColumns = {
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
  siteName: trustedSites.name,
  customerId: webhookAttempts.customerId,
  customerName: customers.name,
};

/** Attempts, newest first, filtered as the Logs page filters them. */
export async function listAttemptLogs(db: Database, query: unknown) {
  const q = parseOrThrow(logsQuerySchema, query);
  const filters: (SQL | undefined)[] = [
    q.status ? eq(webhookAttempts.status, q.status) : undefined,
    q.siteId ? eq(webhookAttempts.siteId, q.siteId) : undefined,
    q.customerId ? eq(webhookAttempts.customerId, q.customerId) : undefined,
    q.action ? eq(webhookAttempts.action, q.action) : undefined,
    // Cast in SQL, not through Date, so microseconds in a bound are kept.
    q.from ? sql`${webhookAttempts.createdAt} >= ${q.from}::timestamptz` : undefined,
    q.to ? sql`${webhookAttempts.createdAt} < ${q.to}::timestamptz` : undefined,
    q.cursor && sql`(${webhookAttempts.createdAt}, ${webhookAttempts.id}) < (${fromMicros(q.cursor.micros)}, ${Number(q.cursor.id)})`,
  ];
  const rows = await db
    .select({ ...attemptColumns, position: micros(webhookAttempts.createdAt) })
    .from(webhookAttempts)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookAttempts.siteId))
    .innerJoin(customers, eq(customers.id, webhookAttempts.customerId))
    .where(and(...filters))
    .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
    .limit(q.limit + 1);
  return page(rows, q.limit);
}

/** Messages still in flight (the Queue), newest first; retries = resends so far. */
export async function listInFlight(db: Database, query: unknown) {
  const q = parseOrThrow(queueQuerySchema, query);
  const rows = await db
    .select({
      id: webhookMessages.id,
      status: webhookMessages.status,
      action: webhookMessages.action,
      siteId: webhookMessages.siteId,
      siteName: trustedSites.name,
      customerId: webhookMessages.customerId,
      customerName: customers.name,
      attempts: webhookMessages.attempts,
      retries: sql<number>`greatest(${webhookMessages.attempts} - 1, 0)::int`,
      nextAttemptAt: webhookMessages.nextAttemptAt,
      createdAt: webhookMessages.createdAt,
      position: micros(webhookMessages.createdAt),
    })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .innerJoin(customers, eq(customers.id, webhookMessages.customerId))
    .where(
      and(
        inArray(webhookMessages.status, [...IN_FLIGHT]),
        q.cursor && sql`(${webhookMessages.createdAt}, ${webhookMessages.id}) < (${fromMicros(q.cursor.micros)}, ${q.cursor.id}::uuid)`,
      ),
    )
    .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
    .limit(q.limit + 1);
  return page(rows, q.limit);
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

/** A message with its attempts (oldest first); the payload is returned as stored. */
export async function getMessage(db: Database, id: string) {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such message");
  const [message] = await db
    .select({
      id: webhookMessages.id,
      status: webhookMessages.status,
      action: webhookMessages.action,
      payload: webhookMessages.payload,
      contentHash: webhookMessages.contentHash,
      idempotencyKey: webhookMessages.idempotencyKey,
      siteId: webhookMessages.siteId,
      siteName: trustedSites.name,
      customerId: webhookMessages.customerId,
      customerName: customers.name,
      attempts: webhookMessages.attempts,
      nextAttemptAt: webhookMessages.nextAttemptAt,
      createdAt: webhookMessages.createdAt,
      finishedAt: webhookMessages.finishedAt,
    })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .innerJoin(customers, eq(customers.id, webhookMessages.customerId))
    .where(eq(webhookMessages.id, id));
  if (!message) throw new NotFoundError("No such message");
  const attempts = await db
    .select(attemptColumns)
    .from(webhookAttempts)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookAttempts.siteId))
    .innerJoin(customers, eq(customers.id, webhookAttempts.customerId))
    .where(eq(webhookAttempts.messageId, id))
    .orderBy(asc(webhookAttempts.attemptNo));
  return { ...message, attemptLog: attempts };
}

