import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = PostgresJsDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** A drizzle client over a postgres.js pool; `close` ends the pool. */
export function openDatabase(url: string, options: { max?: number; connectTimeoutSeconds?: number } = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    // Also how long a connection opened while PostgreSQL restarts can hang (see database-restart.test.ts).
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    // postgres.js waits up to 20 s between reconnects by default, counting failures across the whole
    // pool: a one-second restart left every connection idle for seconds after the server was back.
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
  });
  return {
    db: drizzle(sql, { schema }),
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Seconds before a connection tries again after `retries` failures: quick, capped at half a second, jittered. */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.025 * 2 ** retries, 0.5);
}
