import { sql } from "drizzle-orm";
import type { Database } from "@/lib/db";
import { addToAttemptMinutes } from "@/lib/delivery/attempt-minutes";

/**
 * Recomputes the per-minute rollup of the given sites from their attempts (what the migration's
 * backfill does), for fixtures that write attempts around the delivery core.
 */
export async function rebuildAttemptMinutes(db: Database, siteIds: string[]) {
  const sites = sql`${`{${siteIds.join(",")}}`}::uuid[]`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`delete from attempt_minutes where site_id = any(${sites})`);
    await tx.execute(sql`
      with finished as (
        select site_id, created_at, status, duration_ms from webhook_attempts
        where site_id = any(${sites}) and status <> 'queued'
      )
      ${addToAttemptMinutes(sql`finished`)}`);
  });
}
