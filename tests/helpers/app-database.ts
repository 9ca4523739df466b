import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import type { StartedDatabase } from "@/lib/db/start";
import { createTestDatabase, type TestDatabase } from "./database";

/** Makes `getDb()` (what route handlers use) return this test database, in this test process. */
export function makeAppDatabase(database: TestDatabase) {
  const started: StartedDatabase = { ...database, embedded: null };
  (globalThis as unknown as { tswDatabase?: Promise<StartedDatabase> }).tswDatabase = Promise.resolve(started);
}

export interface RouteTestDatabase extends TestDatabase {
  /** An API token of this database, for `Authorization: Bearer`. */
  token: string;
}

/** A test database that the route handlers use (makeAppDatabase), with an API token to call them by. */
export async function createRouteTestDatabase(tokenName: string): Promise<RouteTestDatabase> {
  const database = await createTestDatabase();
  makeAppDatabase(database);
  const { token } = await createApiToken(database.db, { name: tokenName }, null);
  return Object.assign(database, { token });
}
