import { sql } from "drizzle-orm";
import type { Database } from "../db";
import {
  DEFAULT_PARTITION,
  createAttemptPartitionsAhead,
  dropAttemptPartition,
  isLockTimeout,
  listAttemptPartitions,
} from "../db/attempt-partitions";
import { RETENTION_MS } from "./policy/delivery-rules";

export interface PurgeOptions {
  now?: Date;
  retentionMs?: number;
  /** Rows per transaction: small, so each delete holds its locks only briefly and deliveries go on (default 100). */
  batchSize?: number;
  /**
   * After each delete batch, pause this many times as long as it took (default 5; 0: no pauses): the
   * purge then takes at most a sixth of a database connection's time, and deliveries beside it keep
   * their latency.
   */
  pauseFactor?: number;
}

const DEFAULT_BATCH_SIZE = 1000;
/**
 * The local worker's purge (paced) deletes 100 rows a statement (~5 ms) and pauses 5× as long after
 * each: deliveries beside it then rarely meet a delete, and meet a short one. bench:delivery's purge
 * phase, 200,000 messages, p99 with / without the purge: 1,000 rows pausing 1× 2.04 and 2.48, 100 rows
 * pausing 3× 1.13 and 1.32 (~18 day partitions); with every day of the retention (108) and without the
 * attempts' foreign key, 100 rows pausing 3× 1.14 and 1.23, pausing 5× 1.09, 0.94 and 2.03 (load ~1;
 * the purge 38 s and 49–63 s: ~3,500 messages/s, above the 1,000/s that expire at 1,000 deliveries/s).
 * What is left is the deletes' CPU on 2 cores: deliveries enqueued while one ran p99 9–20 ms, between
 * them 5–8 ms. Committing the deletes without waiting for their WAL flush showed no gain (1.94 at
 * 1,000 × 1, 1.51 and 1.61 at 100 × 3). The Inngest cron's parts stay unpaced, 1,000 a statement.
 */
const PACED_BATCH_SIZE = 100;
const PACED_PAUSE_FACTOR = 5;

/**
 * Expires what is older than the retention (90 days, DESIGN §3): drops the day partitions of attempts
 * that ended before it, deletes the expired attempts of the default partition and finished messages
 * batch by batch, each batch its own short statement, and the per-minute rollup rows of minutes that
 * ended before it. In-flight messages and their queued attempt are never touched. First creates the
 * attempt partitions of the days ahead (lib/db/attempt-partitions.ts), as this runs on a timer.
 */
export async function purgeExpired(db: Database, options: PurgeOptions = {}) {
  await createAttemptPartitionsAhead(db);
  const { attempts, partitions, messages, minutes } = await purgeExpiredPart(db, {
    cutoff: purgeCutoff(options.now, options.retentionMs),
    maxBatches: Infinity,
    batchSize: options.batchSize ?? PACED_BATCH_SIZE,
    pauseFactor: options.pauseFactor ?? PACED_PAUSE_FACTOR,
  });
  return { attempts, partitions, messages, minutes };
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
  /** Pause after each delete batch this many times as long as it took (see PurgeOptions; default 0: no pauses). */
  pauseFactor?: number;
}

/**
 * One bounded part of the purge: at most `maxBatches` statements (attempt partitions dropped first,
 * then attempts of the default partition deleted, then messages, then rollup minutes, oldest first).
 * `more` says whether expired rows are left; the next part resumes where this one stopped, as every
 * statement drops or deletes the oldest rows still there.
 *
 * A day partition goes once its whole day is before the cutoff. The expired rows of the day the
 * cutoff falls in stay until that day goes (at most a day longer): the Logs do not show them
 * (read-messages.ts bounds them by the retention), and deleting them row by row would cost what
 * partitioning saves. The default partition holds only rows no day covered; its expired ones are
 * deleted in batches, as before partitioning.
 */
export async function purgeExpiredPart(db: Database, options: PurgePartOptions) {
  const cutoff = options.cutoff.toISOString();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let batches = options.maxBatches;
  const pauseFactor = options.pauseFactor ?? 0;
  const dropped = await dropExpiredPartitions(db, options.cutoff, batches);
  batches -= dropped.partitions;
  if (dropped.more) return { attempts: 0, partitions: dropped.partitions, messages: 0, minutes: 0, more: true };
  const attempts = await deleteInBatches(
    db,
    sql`delete from ${sql.identifier(DEFAULT_PARTITION)} where id in (
      select id from ${sql.identifier(DEFAULT_PARTITION)} where created_at < ${cutoff}::timestamptz and status <> 'queued'
      order by created_at limit ${batchSize} for update skip locked)`,
    batchSize,
    batches,
    pauseFactor,
  );
  batches -= attempts.batches;
  const partitions = dropped.partitions;
  if (attempts.more) return { attempts: attempts.deleted, partitions, messages: 0, minutes: 0, more: true };
  // A message's attempts go with it, and the links to it are nulled (none of them has a foreign key,
  // schema.ts). Its attempts are no older than the message and no newer than its end, so only days
  // before the cutoff (and the default partition) can hold them: the bound, a value PostgreSQL plans
  // with, leaves out every later day. The days that ended before the cutoff were dropped above, so
  // this reads the cutoff's day. A resend being made locks its original (resend-message.ts), which
  // `skip locked` then leaves for a later batch.
  const messages = await deleteInBatches(
    db,
    sql`with doomed as (
      delete from webhook_messages where id in (
        select id from webhook_messages where finished_at < ${cutoff}::timestamptz
        order by finished_at limit ${batchSize} for update skip locked)
      returning id
    ), their_attempts as (
      delete from webhook_attempts where created_at < ${attemptsBound(options.cutoff)}::timestamptz
        and message_id in (select id from doomed)
    ), their_resends as (
      update webhook_messages set resent_from_message_id = null
      where resent_from_message_id = any(array(select id from doomed)) and id <> all(array(select id from doomed))
    ), their_node_runs as (
      update workflow_node_runs set message_id = null
      where message_id = any(array(select id from doomed))
    )
    select 1 from doomed`,
    batchSize,
    batches,
    pauseFactor,
  );
  batches -= messages.batches;
  if (messages.more) return { attempts: attempts.deleted, partitions, messages: messages.deleted, minutes: 0, more: true };
  // A rollup row goes once its whole minute is before the cutoff: a minute the cutoff falls in still
  // counts attempts that are kept.
  const minutes = await deleteInBatches(
    db,
    sql`delete from attempt_minutes where (site_id, minute, status) in (
      select site_id, minute, status from attempt_minutes where minute <= ${cutoff}::timestamptz - interval '1 minute'
      order by minute limit ${batchSize} for update skip locked)`,
    batchSize,
    batches,
    pauseFactor,
  );
  return { attempts: attempts.deleted, partitions, messages: messages.deleted, minutes: minutes.deleted, more: minutes.more };
}

/**
 * The upper bound of an expired message's attempts: the cutoff, plus an hour for the clocks that
 * stamp them (the app's for a first attempt, the database's for later ones). An attempt past it (a
 * clock off by more) is left to its day's drop.
 */
function attemptsBound(cutoff: Date): string {
  return new Date(cutoff.getTime() + 60 * 60 * 1000).toISOString();
}

/**
 * Drops the day partitions of attempts whose day ended before the cutoff, oldest first, at most
 * `maxDrops`. A drop that cannot get its lock (after its own retries) is left to the next purge
 * (`more` stays false: nothing is gained by retrying at once).
 */
async function dropExpiredPartitions(db: Database, cutoff: Date, maxDrops: number) {
  const expired = (await listAttemptPartitions(db)).filter((p) => p.to.getTime() <= cutoff.getTime());
  let partitions = 0;
  for (const partition of expired) {
    if (partitions >= maxDrops) return { partitions, more: true };
    try {
      await dropAttemptPartition(db, partition);
      partitions++;
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      return { partitions, more: false };
    }
  }
  return { partitions, more: false };
}

/** Runs the delete until it deletes fewer than `batchSize` rows, at most `maxBatches` times, pausing `pauseFactor` times as long as each took. */
async function deleteInBatches(db: Database, statement: ReturnType<typeof sql>, batchSize: number, maxBatches: number, pauseFactor: number) {
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const started = performance.now();
    const result = await db.execute(statement);
    if (pauseFactor > 0) await new Promise((resolve) => setTimeout(resolve, (performance.now() - started) * pauseFactor));
    batches++;
    const count = result.count ?? 0;
    deleted += count;
    if (count < batchSize) return { deleted, batches, more: false };
  }
  return { deleted, batches, more: true };
}
