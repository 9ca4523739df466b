import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { RETENTION_MS } from "./delivery-rules";

export interface PurgeOptions {
  now?: Date;
  retentionMs?: number;
  /** Rows per transaction: small, so each delete holds its locks only briefly and deliveries go on. */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 1000;

/**
 * Deletes attempts and finished messages older than the retention (90 days, DESIGN §3), and the
 * per-minute rollup rows of minutes that ended before it, batch by batch, each batch its own short
 * statement. In-flight messages and their queued attempt are never touched.
 */
export async function purgeExpired(db: Database, options: PurgeOptions = {}) {
  const { attempts, messages, minutes } = await purgeExpiredPart(db, {
    cutoff: purgeCutoff(options.now, options.retentionMs),
    batchSize: options.batchSize,
    maxBatches: Infinity,
  });
  return { attempts, messages, minutes };
}

/** Everything older than this is purged. */
export function purgeCutoff(now = new Date(), retentionMs = RETENTION_MS): Date {
  return new Date(now.getTime() - retentionMs);
}

export interface PurgePartOptions {
  cutoff: Date;
  batchSize?: number;
  /** At most this many delete statements, so one call ends in bounded time. */
  maxBatches: number;
}

/**
 * One bounded part of the purge: at most `maxBatches` delete statements (attempts first, then
 * messages, then rollup minutes, oldest first). `more` says whether expired rows are left; the next
 * part resumes where this one stopped, as every statement deletes the oldest rows still there.
 */
export async function purgeExpiredPart(db: Database, options: PurgePartOptions) {
  const cutoff = options.cutoff.toISOString();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let batches = options.maxBatches;
  const attempts = await deleteInBatches(
    db,
    sql`delete from webhook_attempts where id in (
      select id from webhook_attempts where created_at < ${cutoff}::timestamptz and status <> 'queued'
      order by created_at limit ${batchSize} for update skip locked)`,
    batchSize,
    batches,
  );
  batches -= attempts.batches;
  if (attempts.more) return { attempts: attempts.deleted, messages: 0, minutes: 0, more: true };
  const messages = await deleteInBatches(
    db,
    sql`delete from webhook_messages where id in (
      select id from webhook_messages where finished_at < ${cutoff}::timestamptz
      order by finished_at limit ${batchSize} for update skip locked)`,
    batchSize,
    batches,
  );
  batches -= messages.batches;
  if (messages.more) return { attempts: attempts.deleted, messages: messages.deleted, minutes: 0, more: true };
  // A rollup row goes once its whole minute is before the cutoff: a minute the cutoff falls in still
  // counts attempts that are kept.
  const minutes = await deleteInBatches(
    db,
    sql`delete from attempt_minutes where (site_id, minute, status) in (
      select site_id, minute, status from attempt_minutes where minute <= ${cutoff}::timestamptz - interval '1 minute'
      order by minute limit ${batchSize} for update skip locked)`,
    batchSize,
    batches,
  );
  return { attempts: attempts.deleted, messages: messages.deleted, minutes: minutes.deleted, more: minutes.more };
}

async function deleteInBatches(db: Database, statement: ReturnType<typeof sql>, batchSize: number, maxBatches: number) {
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const result = await db.execute(statement);
    batches++;
    const count = result.count ?? 0;
    deleted += count;
    if (count < batchSize) return { deleted, batches, more: false };
  }
  return { deleted, batches, more: true };
}
