import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_ID = 7_311_642_001;

export const migrationsFolder = path.resolve(/*turbopackIgnore: true*/ process.cwd(), "drizzle");

/**
 * Applies the committed drizzle-kit migrations. Idempotent, and safe when several processes
 * start at once: they queue on a PostgreSQL advisory lock and the later ones find nothing to do.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migrate(drizzle(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
