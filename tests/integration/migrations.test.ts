import { afterEach, describe, expect, it } from "vitest";
import { migrateDatabase } from "@/lib/db/migrate";
import { attemptLogsQuery, inFlightQuery } from "@/lib/webhooks/read-messages";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

const TABLES = [
  "accounts",
  "api_tokens",
  "attempt_minutes",
  "audit_events",
  "auth_rate_limits",
  "customers",
  "sessions",
  "site_leases",
  "site_pacing",
  "site_token_health",
  "trusted_sites",
  "users",
  "verifications",
  "webhook_attempts",
  "webhook_messages",
  "workflow_node_runs",
  "workflow_runs",
  "workflow_versions",
  "workflows",
];

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

async function tables(db: TestDatabase) {
  // The tables of the domain model: a partitioned table counts once, not once per partition.
  const rows = await db.sql<{ tablename: string }[]>`
    select tablename from pg_tables t join pg_class c on c.oid = (quote_ident(t.schemaname) || '.' || quote_ident(t.tablename))::regclass
    where schemaname = 'public' and not c.relispartition order by tablename`;
  return rows.map((r) => r.tablename);
}

describe("migrations", () => {
  it("create every table of the domain model on an empty database", async () => {
    database = await createTestDatabase({ migrated: false });
    expect(await tables(database)).toEqual([]);
    await migrateDatabase(database.url);
    expect(await tables(database)).toEqual(TABLES);
  });

  it("let the Logs and Queue read newest-first rows through an index, without sorting", async () => {
    database = await createTestDatabase();
    const plan = async (query: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql: text, params } = query.toSQL();
      return database!.sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        await tx`set local enable_sort = off`;
        const rows = await tx.unsafe(`explain ${text}`, params as never[]);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
    };
    const logs = await plan(attemptLogsQuery(database.db, { limit: 50 }));
    // One backward scan per day partition (and the default one), merged in order.
    expect(logs).toMatch(/Index Scan Backward using webhook_attempts_\d{8}_created_at_id_idx/);
    expect(logs).toMatch(/Index Scan Backward using webhook_attempts_default_created_at_id_idx/);
    expect(logs).toMatch(/Merge Append/);
    expect(logs).not.toMatch(/^\s*(->\s+)?Sort\s+\(/m); // no Sort node (Merge Append's "Sort Key" merges sorted scans)
    const queue = await plan(inFlightQuery(database.db, { limit: 50 }));
    expect(queue).toMatch(/Index Scan Backward using webhook_messages_in_flight_idx/);
    expect(queue).not.toMatch(/^\s*(->\s+)?Sort\s+\(/m);
  });

  it("let deleting any row find the rows whose foreign keys point at it through an index", async () => {
    database = await createTestDatabase();
    // What each foreign key's ON DELETE action (or check) looks up for every deleted row: without an
    // index, a scan of the whole referencing table per row (a purge deletes 200,000 messages; a site
    // goes with all its messages, each pointed at by months of workflow runs and attempts).
    const keys = await database.sql<{ tbl: string; col: string }[]>`
      select c.conrelid::regclass::text as tbl, a.attname as col
      from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and cardinality(c.conkey) = 1 and c.connamespace = 'public'::regnamespace
        and not exists (select 1 from pg_inherits i where i.inhrelid = c.conrelid)
      order by 1, 2`;
    expect(keys.length).toBeGreaterThan(10);
    const scanned: string[] = [];
    for (const { tbl, col } of keys) {
      const plan = await database.sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        const rows = await tx.unsafe(`explain (generic_plan) select 1 from ${tbl} where ${col} = $1`);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      if (/Seq Scan/.test(plan)) scanned.push(`${tbl}.${col}`);
    }
    expect(scanned).toEqual([]);
  });

  it("index due messages, messages and attempts by site and by customer", async () => {
    database = await createTestDatabase();
    const rows = await database.sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes where schemaname = 'public'`;
    const def = (name: string) => rows.find((r) => r.indexname === name)?.indexdef;
    expect(def("webhook_messages_due_idx")).toMatch(/\(next_attempt_at\) WHERE .*queued.*resent/);
    expect(def("webhook_messages_site_idx")).toMatch(/\(site_id, created_at\)/);
    expect(def("webhook_messages_customer_idx")).toMatch(/\(customer_id, created_at\)/);
    expect(def("webhook_messages_customer_line_idx")).toMatch(/\(site_id, customer_id, created_at, id\) WHERE .*queued.*resent/);
    expect(def("webhook_attempts_site_idx")).toMatch(/\(site_id, created_at, id\)/);
    expect(def("webhook_attempts_customer_idx")).toMatch(/\(customer_id, created_at, id, site_id, status, action\)/);
    expect(def("webhook_attempts_site_status_idx")).toMatch(/\(site_id, status, created_at, id, action\)/);
    expect(def("webhook_attempts_site_action_idx")).toMatch(/\(site_id, action, created_at, id, status\)/);
    expect(def("webhook_messages_site_idempotency_key")).toMatch(/UNIQUE .*\(site_id, idempotency_key\)/);
  });

  it("are idempotent: running them again changes nothing", async () => {
    database = await createTestDatabase();
    const applied = async () =>
      (await database!.sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]!.n;
    const before = await applied();
    await migrateDatabase(database.url);
    expect(await applied()).toBe(before);
    expect(await tables(database)).toEqual(TABLES);
  });

  it("are safe when several processes start at once", async () => {
    database = await createTestDatabase({ migrated: false });
    await Promise.all([1, 2, 3].map(() => migrateDatabase(database!.url)));
    expect(await tables(database)).toEqual(TABLES);
    const [counts] = await database.sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations`;
    expect(counts!.n).toBeGreaterThan(0);
    expect(counts!.distinct).toBe(counts!.n); // no migration recorded twice
  });
});
