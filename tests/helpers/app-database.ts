import type { StartedDatabase } from "@/lib/db/start";
import type { TestDatabase } from "./database";

/** Makes `getDb()` (what route handlers use) return this test database, in this test process. */
export function useAsAppDatabase(database: TestDatabase) {
  const started: StartedDatabase = { ...database, embedded: null };
  (globalThis as unknown as { tswDatabase?: Promise<StartedDatabase> }).tswDatabase = Promise.resolve(started);
}
