import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";

/**
 * Creates a site's thread slot rows (`site_leases`, one per thread, DESIGN §4) up to `threads`; the
 * ones already there are kept. Called when a site is activated or its threads are raised, so its first
 * sends find their slots instead of racing to create them (the loser of that race read "no thread"
 * and was postponed), and the thread-taking statement stays a plain update. Sends still create missing
 * slots themselves (reserve-send.ts), for rows made another way (a legacy node's connection). Returns
 * how many rows it added.
 */
export async function addThreadSlots(db: Database, siteId: string, threads: number): Promise<number> {
  const added = await executePrepared(db, sql`
    insert into site_leases (site_id, slot, expires_at)
    select ${siteId}, n, '-infinity' from generate_series(0, ${threads - 1}) n
    on conflict (site_id, slot) do nothing
    returning id`);
  return added.length;
}

/** Creates the site's pacing row (its GCRA arrival time, DESIGN §4) unless it has one: sends book starts on it. */
export async function addPacingRow(db: Database, siteId: string): Promise<void> {
  await executePrepared(db, sql`
    insert into site_pacing (site_id, theoretical_arrival_at) values (${siteId}, '-infinity') on conflict (site_id) do nothing`);
}

/**
 * What an activated site's sends need before its first one: its thread slots and its pacing row, so
 * the first sends neither race to create them nor miss the local worker's reserving claim
 * (claim-and-reserve.ts), which reserves only where both exist.
 */
export async function addSendRows(db: Database, siteId: string, threads: number): Promise<void> {
  await addThreadSlots(db, siteId, threads);
  await addPacingRow(db, siteId);
}
