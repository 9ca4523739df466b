import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase, type DatabaseHandle } from "../../lib/db/client";
import { startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { migrateDatabase } from "../../lib/db/migrate";
import { DUE_CHANNEL } from "../../lib/delivery/announce";
import { addSendRows } from "../../lib/delivery/thread-slots";
import { createSecretBox } from "../../lib/secrets";
import { generateSigningSecret } from "../../lib/signing-secrets/signing-secret-format";
import type { StoredSigningSecret } from "../../lib/signing-secrets/stored-signing-secret";
import { TEST_ENCRYPTION_KEY } from "../../tests/helpers/worker-process";

/** BENCH_STATEMENT_STATS=1: the embedded server loads pg_stat_statements, and the bench prints the top statements. */
export const STATEMENT_STATS = process.env.BENCH_STATEMENT_STATS === "1";
/** BENCH_PG_SETTINGS="wal_compression=lz4;wal_buffers=16MB": extra settings of the embedded server, to compare them. */
const EXTRA_SETTINGS = (process.env.BENCH_PG_SETTINGS ?? "").split(";").filter(Boolean);
/**
 * BENCH_SIGNING=1: every bench site signs its requests (Standard Webhooks), sealed with the key the
 * worker child gets. BENCH_SIGNING=ab: only the throughput phase, alternating unsigned and signed
 * sites in one process, so both see the same machine.
 */
export const SIGNING = process.env.BENCH_SIGNING === "1";
export const SIGNING_AB = process.env.BENCH_SIGNING === "ab";

/**
 * BENCH_AUTO_EXPLAIN=<ms>: the embedded server logs the plans (with buffers) of 5 % of the statements
 * that ran at least that long, nested ones too, into BENCH_PG_LOG (a file; the server's log is dropped
 * without it). How the claim's bitmap scan of every due message was found (migration 0025).
 */
function autoExplain(): string[] {
  const minMs = process.env.BENCH_AUTO_EXPLAIN;
  if (!minMs) return [];
  return ["session_preload_libraries=auto_explain", `auto_explain.log_min_duration=${Number(minMs)}`, "auto_explain.log_analyze=on",
    "auto_explain.log_buffers=on", "auto_explain.log_timing=off", "auto_explain.sample_rate=0.05", "auto_explain.log_nested_statements=on"];
}

function benchSigningSecret(): StoredSigningSecret {
  const { secret, prefix } = generateSigningSecret();
  return { id: randomUUID(), sealed: createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64")).encrypt(secret), prefix, createdAt: new Date().toISOString(), activeUntil: null };
}

export interface BenchDatabase extends DatabaseHandle {
  url: string;
  /** The embedded server's postmaster, whose process tree is PostgreSQL's CPU; null for DATABASE_URL. */
  postmasterPid: number | null;
  stop(): Promise<void>;
}

/** DATABASE_URL when set, else an embedded PostgreSQL in a temporary folder (removed afterwards). */
export async function startBenchDatabase(databaseUrl: string | undefined): Promise<BenchDatabase> {
  let dir: string | undefined;
  let url = databaseUrl;
  let stopServer = async () => {};
  if (!url) {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-bench-pg-"));
    const stats = STATEMENT_STATS ? ["shared_preload_libraries=pg_stat_statements", "track_io_timing=on"] : [];
    const logFile = process.env.BENCH_PG_LOG ? createWriteStream(process.env.BENCH_PG_LOG) : undefined;
    const embedded = await startEmbeddedPostgres(dir, logFile ? (line) => logFile.write(`${line}\n`) : undefined, {
      settings: [...stats, ...autoExplain(), ...EXTRA_SETTINGS],
    });
    url = embedded.url;
    stopServer = embedded.stop;
  }
  await migrateDatabase(url);
  const handle = openDatabase(url);
  const postmasterPid = dir ? Number((await fs.readFile(path.join(dir, "pg", "postmaster.pid"), "utf8")).split("\n")[0]) : null;
  return {
    ...handle,
    url,
    postmasterPid,
    async stop() {
      await handle.close();
      await stopServer();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export async function insertBenchCustomer(db: DatabaseHandle["db"]): Promise<string> {
  const [row] = await db.execute<{ id: string }>(sql`
    insert into customers (name, email) values ('Bench', ${`bench-${Date.now()}-${Math.random()}@example.com`}) returning id`);
  return row!.id;
}

export async function insertBenchSite(db: DatabaseHandle["db"], url: string, rps: number, threads: number, signing = SIGNING): Promise<string> {
  const [row] = await db.execute<{ id: string }>(sql`
    insert into trusted_sites (name, url, status, rps, threads, timeout_ms, content_type, auth_method, auth_params, signing_secrets)
    values (${`bench ${url} ${Math.random()}`}, ${url}, 'active', ${rps}, ${threads}, 5000, 'application/json', 'none', '{}'::jsonb,
      ${JSON.stringify(signing ? [benchSigningSecret()] : [])}::jsonb)
    returning id`);
  // Made active here, so given its thread slots and pacing row as activation gives them (lib/trusted-sites/set-site-status.ts).
  await addSendRows(db, row!.id, threads);
  return row!.id;
}

/**
 * Queues `count` messages for a site in one transaction — each message with its first `queued`
 * attempt, as enqueue() writes them — and announces them once. The bench's multi-row path, so that
 * queueing is not what is measured.
 */
export async function queueMany(db: DatabaseHandle["db"], siteId: string, customerId: string, count: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      with message as (
        insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, next_attempt_at)
        select ${siteId}, ${customerId}, 'bench.tick', jsonb_build_object('n', n), md5(n::text), 'queued', clock_timestamp()
        from generate_series(1, ${count}) n
        returning id, site_id, customer_id, action, next_attempt_at
      )
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at)
      select id, site_id, customer_id, action, 1, 'queued', next_attempt_at from message`);
    await tx.execute(sql`select pg_notify(${DUE_CHANNEL}, '')`);
  });
}

/** Messages of the site not yet done or failed. */
export async function inFlightCount(db: DatabaseHandle["db"], siteId: string): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from webhook_messages where site_id = ${siteId} and status in ('queued', 'resent')`);
  return row!.n;
}

/**
 * Whether any message of the site is not yet done or failed: what the throughput phase polls every
 * 50 ms. Counting them instead read every message in flight (2,600 buffers a poll at the start of a
 * round), which showed as 6 % of the product's PostgreSQL time.
 */
export async function anyInFlight(db: DatabaseHandle["db"], siteId: string): Promise<boolean> {
  const [row] = await db.execute<{ any: boolean }>(sql`
    select exists (select 1 from webhook_messages where site_id = ${siteId} and status in ('queued', 'resent')) as any`);
  return row!.any;
}

/** Attempt rows of the sites by status. */
export async function attemptsByStatus(db: DatabaseHandle["db"], siteIds: string[]): Promise<Record<string, number>> {
  const rows = await db.execute<{ status: string; n: number }>(sql`
    select status, count(*)::int as n from webhook_attempts where site_id = any(${`{${siteIds.join(",")}}`}::uuid[]) group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Transactions committed in the database so far (each autocommit statement is one). */
export async function commitCount(db: DatabaseHandle["db"]): Promise<number> {
  const [row] = await db.execute<{ n: string }>(sql`select xact_commit as n from pg_stat_database where datname = current_database()`);
  return Number(row!.n);
}

/** When the site's attempts started, as the workers recorded them (ms since epoch). */
export async function recordedStarts(db: DatabaseHandle["db"], siteId: string): Promise<number[]> {
  const rows = await db.execute<{ ms: number }>(sql`
    select extract(epoch from started_at)::float8 * 1000 as ms from webhook_attempts where site_id = ${siteId} and started_at is not null`);
  return rows.map((r) => r.ms);
}

/** Zeroes pg_stat_statements and the table and database counters (so also the commit count). */
export async function resetStatementStats(db: DatabaseHandle["db"]): Promise<void> {
  await db.execute(sql`create extension if not exists pg_stat_statements`);
  await db.execute(sql`select pg_stat_statements_reset()`);
  await db.execute(sql`select pg_stat_reset()`);
}

/**
 * Row updates per table since the stats reset, and how many of them were HOT (no index entries
 * written). A partitioned table counts nothing itself: `webhook_attempts` is the sum of its partitions.
 */
export async function tableUpdates(db: DatabaseHandle["db"]) {
  return db.execute<Record<string, unknown>>(sql`
    select coalesce(i.inhparent::regclass::text, t.relname) as relname, sum(n_tup_ins)::int as inserted, sum(n_tup_upd)::int as updated,
      sum(n_tup_hot_upd)::int as hot_updated
    from pg_stat_user_tables t left join pg_inherits i on i.inhrelid = t.relid
    where coalesce(i.inhparent::regclass::text, t.relname) in ('webhook_messages', 'webhook_attempts', 'site_leases', 'site_pacing')
    group by 1 order by 1`);
}

/** The statements that took the most execution time since the reset, with their writes. */
export async function topStatements(db: DatabaseHandle["db"], limit = 15) {
  return db.execute<Record<string, unknown>>(sql`
    select round(total_exec_time::numeric, 0) as total_ms,
      round((100 * total_exec_time / sum(total_exec_time) over ())::numeric, 1) as pct,
      calls, round(mean_exec_time::numeric, 3) as mean_ms, rows,
      shared_blks_hit as hit, shared_blks_dirtied as dirtied, shared_blks_written as written,
      wal_records, wal_bytes, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 140) as query
    from pg_stat_statements order by total_exec_time desc limit ${limit}`);
}
