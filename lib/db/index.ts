import type { Database } from "./client";
import { startDatabase, type StartedDatabase } from "./start";

export type { Database } from "./client";

const cache = globalThis as unknown as { tswDatabase?: Promise<StartedDatabase> };

/**
 * The application's database, started on first use and shared by everything in this process
 * (cached on globalThis so dev reloads and Next's separate bundles reuse one pool).
 * A failed start is not cached, so the next call tries again.
 */
export function getDatabase(): Promise<StartedDatabase> {
  cache.tswDatabase ??= startDatabase().catch((e) => {
    cache.tswDatabase = undefined;
    throw e;
  });
  return cache.tswDatabase;
}

export async function getDb(): Promise<Database> {
  return (await getDatabase()).db;
}
