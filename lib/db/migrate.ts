import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { createAttemptPartitionsAhead } from "./attempt-partitions";

/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_ID = 7_311_642_001;

export const migrationsFolder = path.resolve(/*turbopackIgnore: true*/ process.cwd(), "drizzle");

/**
 * Applies the committed drizzle-kit migrations, then creates the attempt partitions of the days
 * ahead (lib/db/attempt-partitions.ts), so rows arriving after a long stop find their day. Idempotent,
 * and safe when several processes start at once: they queue on a PostgreSQL advisory lock and the
 * later ones find nothing to do.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    const db = drizzle(sql);
    await migrate(db, { migrationsFolder });
    await createAttemptPartitionsAhead(db);
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
