import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/**
 * `webhook_attempts` is partitioned by UTC day of `created_at` (drizzle/0021_attempts-partitioned.sql):
 * one table per day named `webhook_attempts_YYYYMMDD`, plus `webhook_attempts_default` for rows no day
 * covers, so an insert never fails. This module creates days ahead and drops whole expired days; it
 * knows tables and dates, not the retention rule (lib/delivery/purge-expired.ts decides what expires).
 */

// Any drizzle PostgreSQL database: the application's, or the migration's bare one.
type AnyDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

const DAY_MS = 86_400_000;
/** Days created ahead of today, so a worker down for a few days still finds its partitions. */
export const PARTITION_DAYS_AHEAD = 7;
export const DEFAULT_PARTITION = "webhook_attempts_default";
/** Partition DDL waits at most this long for its lock: behind a waiting DDL every delivery would queue. */
const LOCK_TIMEOUT = "100ms";
/** Serializes partition maintenance between processes (any constant, the same everywhere). */
const MAINTENANCE_LOCK_ID = 7_311_642_002;

export interface AttemptPartition {
  name: string;
  /** Inclusive start and exclusive end of the partition's range. */
  from: Date;
  to: Date;
}

/** The UTC day a time falls in, as midnight. */
export function utcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

export function partitionName(day: Date): string {
  return `webhook_attempts_${day.toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/** The day partitions (not the default one), oldest first. */
export async function listAttemptPartitions(db: AnyDatabase): Promise<AttemptPartition[]> {
  const rows = (await db.execute(sql`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'webhook_attempts'::regclass`)) as unknown as { name: string; bound: string }[];
  const partitions: AttemptPartition[] = [];
  for (const row of rows) {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
    if (m) partitions.push({ name: row.name, from: new Date(m[1]!), to: new Date(m[2]!) });
  }
  return partitions.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The database's clock (rows get `created_at` from it), not this process's. */
async function databaseNow(db: AnyDatabase): Promise<Date> {
  const [row] = (await db.execute(sql`select extract(epoch from now())::float8 * 1000 as ms`)) as unknown as { ms: number }[];
  return new Date(row!.ms);
}

/**
 * Creates the day partitions from today to PARTITION_DAYS_AHEAD days ahead that are missing (the
 * database's today, UTC). Returns the names created. Cheap when they all exist (one catalog read).
 */
export async function createAttemptPartitionsAhead(db: AnyDatabase, days = PARTITION_DAYS_AHEAD): Promise<string[]> {
  const today = utcDay(await databaseNow(db));
  return createAttemptPartitions(db, today, new Date(today.getTime() + days * DAY_MS));
}

/**
 * Creates the missing day partitions for the days from `first` to `last` (inclusive). A day whose rows
 * already sit in the default partition gets them moved into its new partition. Each day is its own
 * short transaction: the new table is created alone and then attached, which locks the parent only in
 * SHARE UPDATE EXCLUSIVE mode (inserts and updates go on) and the default partition while it is checked.
 */
export async function createAttemptPartitions(db: AnyDatabase, first: Date, last: Date): Promise<string[]> {
  const existing = new Set((await listAttemptPartitions(db)).map((p) => p.from.getTime()));
  const created: string[] = [];
  for (let day = utcDay(first).getTime(); day <= utcDay(last).getTime(); day += DAY_MS) {
    if (existing.has(day)) continue;
    const name = partitionName(new Date(day));
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    const made = await retryOnLockTimeout(() => db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MAINTENANCE_LOCK_ID})`);
      await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`));
      // Another process may have made it while this one waited for the lock.
      const [found] = (await tx.execute(sql`select to_regclass(${name}) is not null as found`)) as unknown as { found: boolean }[];
      if (found!.found) return false;
      await tx.execute(sql.raw(`create table "${name}" (like webhook_attempts including defaults including constraints)`));
      // The partition must hold them before it is attached: the default partition may not keep rows of a covered day.
      await tx.execute(sql.raw(`with moved as (
          delete from "${DEFAULT_PARTITION}" where created_at >= '${from}' and created_at < '${to}' returning *)
        insert into "${name}" select * from moved`));
      await tx.execute(sql.raw(`alter table webhook_attempts attach partition "${name}" for values from ('${from}') to ('${to}')`));
      return true;
    }));
    if (made) created.push(name);
  }
  return created;
}

/**
 * Drops one day partition. Its queued attempts (the current attempt of a message still in flight,
 * e.g. at a site paused for months) are kept aside in a temporary table and inserted again once the
 * day is gone, in the same transaction, so they land in the default partition and dropping a day
 * never loses a message. Returns how many were kept that way.
 *
 * The partition is dropped while attached, not DETACHed first: a detached partition's foreign key to
 * `webhook_messages` (until migration 0027 dropped it) became a constraint of its own, whose triggers
 * DETACH created on `webhook_messages` under a SHARE ROW EXCLUSIVE lock, which every delivery
 * transaction's writes to messages block; waiting for it while holding the parent's lock queued
 * every delivery behind it (bench:delivery's purge phase: 193 of 1,541 wait samples were the detach waiting for that lock, and
 * the deliveries waited on the attempts' lock meanwhile). Dropping an attached partition needs
 * neither that lock nor DETACH … CONCURRENTLY (refused beside a default partition): it takes the
 * parent's, the partition's and the default partition's ACCESS EXCLUSIVE locks until it commits,
 * waiting at most LOCK_TIMEOUT for them (then trying again a few times: a lock_timeout error means
 * the next purge will). Its commit removes the day's files under those locks, ~0.85 ms per MB here
 * (docs/design.md §2, purge impact).
 */
export async function dropAttemptPartition(db: AnyDatabase, partition: AttemptPartition): Promise<{ keptQueued: number }> {
  await truncateUnlessQueued(db, partition);
  return retryOnLockTimeout(() => db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MAINTENANCE_LOCK_ID})`);
    await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`));
    // All the locks first, parent before partitions (the order every statement through the parent
    // takes them): a lock taken later by the drop itself deadlocked with a delivery statement holding
    // the partition and waiting for more of it (bench:delivery's purge phase).
    await tx.execute(sql.raw(`lock table webhook_attempts, "${partition.name}", "${DEFAULT_PARTITION}" in access exclusive mode`));
    const kept = await tx.execute(sql.raw(`create temporary table kept_queued_attempts on commit drop as
      select * from "${partition.name}" where status = 'queued'`));
    await tx.execute(sql.raw(`drop table "${partition.name}"`));
    // Its day now covered by no partition, the rows inserted through the parent land in the default one.
    if (((kept as { count?: number }).count ?? 0) > 0) {
      await tx.execute(sql.raw(`insert into webhook_attempts overriding system value select * from kept_queued_attempts`));
    }
    return { keptQueued: (kept as { count?: number }).count ?? 0 };
  }));
}

/**
 * Empties a day partition that holds no queued attempt, in a transaction of its own that locks only
 * that partition, not the parent: its commit removes the day's files (~0.85 ms per MB), which the
 * drop's commit otherwise did while holding the parent's ACCESS EXCLUSIVE lock, stalling every
 * delivery. The check and the TRUNCATE are under the same lock, so no queued attempt can appear
 * between them. A day with queued attempts is left whole for the drop, which keeps them.
 */
async function truncateUnlessQueued(db: AnyDatabase, partition: AttemptPartition): Promise<boolean> {
  return retryOnLockTimeout(() => db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MAINTENANCE_LOCK_ID})`);
    await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`));
    await tx.execute(sql.raw(`lock table "${partition.name}" in access exclusive mode`));
    const [row] = (await tx.execute(sql.raw(`select exists (select 1 from "${partition.name}" where status = 'queued') as queued`))) as unknown as { queued: boolean }[];
    if (row!.queued) return false;
    await tx.execute(sql.raw(`truncate table "${partition.name}"`));
    return true;
  }));
}

/**
 * A lower bound for the `created_at` of attempts of messages created at these times (no attempt is
 * older than its message): `created_at >= bound` lets a statement that finds attempts by id skip the
 * older day partitions instead of probing every one. "-infinity" when a time is unknown.
 */
export function attemptsNotBefore(messagesCreatedAt: (Date | undefined)[]): string {
  const min = Math.min(...messagesCreatedAt.map((d) => d?.getTime() ?? -Infinity));
  return Number.isFinite(min) ? new Date(min).toISOString() : "-infinity";
}

/**
 * An upper bound for the `created_at` of the current attempts of messages created at these times:
 * a first attempt is stamped with its message's time (which the app's clock gave, possibly ahead of
 * the database's), a later one with the database's clock when its predecessor was recorded, so none
 * is later than `greatest(now(), bound)`. With it a statement skips the days ahead (7 partitions)
 * too. A millisecond up, as the times came back rounded down to one; "infinity" when one is unknown.
 */
export function attemptsNotAfter(messagesCreatedAt: (Date | undefined)[]): string {
  const max = Math.max(...messagesCreatedAt.map((d) => (d ? d.getTime() + 1 : Infinity)));
  return Number.isFinite(max) ? new Date(max).toISOString() : "infinity";
}

/**
 * Whether an error is a partition DDL giving up on its lock (lock_timeout, or chosen as a deadlock's
 * victim): nothing was changed, and trying again later does it.
 */
export function isLockTimeout(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  const code = e?.cause?.code ?? e?.code;
  return code === "55P03" || code === "40P01";
}

const LOCK_TRIES = 20;

/**
 * Runs one partition DDL transaction, again after a pause when it gave up on its lock (LOCK_TRIES in
 * all, over about 20 s): many short waits, so deliveries queued behind one wait at most LOCK_TIMEOUT.
 */
async function retryOnLockTimeout<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isLockTimeout(error) || attempt === LOCK_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 1_000 + 50 * attempt));
    }
  }
}
