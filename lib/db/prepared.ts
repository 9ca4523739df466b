import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type postgres from "postgres";
import type { Database } from "./client";

const dialect = new PgDialect();

/**
 * Runs a statement as a named prepared statement of the connection it lands on. `db.execute` sends
 * every statement unnamed: postgres.js then waits for a Parse/Describe answer before it binds (two
 * round trips) and PostgreSQL plans it afresh on each call. Prepared, a statement after its first
 * run per connection is one Bind/Execute round trip, and after five runs PostgreSQL keeps a generic
 * plan when it costs no more than the custom ones.
 *
 * Only for statements whose text is fixed: values as parameters (lists as one array or JSON
 * parameter), never a spliced list whose length varies, or each length becomes a statement of its
 * own on every connection. Errors are the driver's own (no drizzle wrapper quoting the parameters).
 */
export async function executePrepared<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  // drizzle() sets $client on the handle it returns; a transaction's handle has none and runs as db.execute would.
  const client = (db as Database & { $client?: postgres.Sql }).$client;
  if (!client) return (await db.execute(query)) as unknown as T[];
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await client.unsafe(text, params as never[], { prepare: true })) as unknown as T[];
}
