import postgres from "postgres";
import { dataDir, readEnv, type Env } from "../env";
import { openDatabase, type DatabaseHandle } from "./client";
import { describeConnectionError } from "./connection-error";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./embedded-postgres";
import { migrateDatabase } from "./migrate";

/** The database could not be used; `message` is one line meant for the operator. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

export interface StartedDatabase extends DatabaseHandle {
  url: string;
  embedded: EmbeddedDatabase | null;
}

/**
 * Resolves the database (DATABASE_URL, else the embedded PostgreSQL in DATA_DIR), checks that it
 * answers, and applies pending migrations.
 */
export async function startDatabase(env: Env = readEnv()): Promise<StartedDatabase> {
  let embedded: EmbeddedDatabase | null = null;
  let url = env.DATABASE_URL;
  if (!url) {
    try {
      embedded = await startEmbeddedPostgres(dataDir(env));
    } catch (e) {
      throw new DatabaseUnavailableError(
        `Could not start the embedded PostgreSQL in ${dataDir(env)}: ${(e as Error)?.message ?? e}. Set DATABASE_URL to use another PostgreSQL.`,
      );
    }
    url = embedded.url;
  }
  await checkConnection(url);
  if (!env.SKIP_MIGRATIONS) await migrateDatabase(url);
  return { ...openDatabase(url), url, embedded };
}

async function checkConnection(url: string) {
  const probe = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await probe`select 1`;
  } catch (e) {
    throw new DatabaseUnavailableError(describeConnectionError(e, url));
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}
