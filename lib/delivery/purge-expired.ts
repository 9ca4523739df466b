import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { RETENTION_MS } from "./delivery-rules";

export interface PurgeOptions {
  now?: Date;
  retentionMs?: number;
  /** Rows per transaction: small, so each delete holds its locks only briefly and deliveries go on. */
  batchSize?: number;
}

/**
 * Deletes attempts and finished messages older than the retention (90 days, DESIGN §3), batch by
 * batch, each batch its own short statement. In-flight messages and their queued attempt are never
 * touched.
 */
export async function purgeExpired(db: Database, options: PurgeOptions = {}) {
  const cutoff = new Date((options.now ?? new Date()).getTime() - (options.retentionMs ?? RETENTION_MS)).toISOString();
  const batchSize = options.batchSize ?? 1000;
  const attempts = await deleteInBatches(
    db,
    () => sql`delete from webhook_attempts where id in (
      select id from webhook_attempts where created_at < ${cutoff}::timestamptz and status <> 'queued'
      order by created_at limit ${batchSize} for update skip locked)`,
    batchSize,
  );
  const messages = await deleteInBatches(
    db,
    () => sql`delete from webhook_messages where id in (
      select id from webhook_messages where finished_at < ${cutoff}::timestamptz
      order by finished_at limit ${batchSize} for update skip locked)`,
    batchSize,
  );
  return { attempts, messages };
}

async function deleteInBatches(db: Database, statement: () => ReturnType<typeof sql>, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute(statement());
    const deleted = result.count ?? 0;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
