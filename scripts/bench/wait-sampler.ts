/**
 * BENCH_PURGE_WAITS=1 (purge-impact.ts): what the database's backends wait on during a run. Samples
 * pg_stat_activity every few milliseconds from a connection of its own and tallies the active client
 * backends by (what they run, wait event), the purge's statements apart from the deliveries'; with
 * the WAL, checkpoint and autovacuum counters of the run. Each sample is labelled with the purge's
 * step last seen (dropping days, deleting messages), and the time each step was first seen is kept.
 */
import postgres from "postgres";

const SAMPLE_MS = 5;

export interface WaitSample {
  stop(): Promise<string>;
  /** When the purge was first seen in each of its steps (ms since epoch). */
  purgeSteps: Map<PurgeStep, number>;
}

type PurgeStep = "days" | "messages" | "other";

/** Which step of the purge a statement is, or undefined for the deliveries' statements. */
function purgeStep(query: string): PurgeStep | undefined {
  if (/^\s*(lock table webhook_attempts|drop table|create temporary table kept|alter table webhook_attempts detach|select pg_advisory_xact_lock)/.test(query)) return "days";
  if (/^\s*delete from webhook_messages/.test(query)) return "messages";
  if (/^\s*delete from ("webhook_attempts_default"|attempt_minutes)/.test(query)) return "other";
  return undefined;
}

type Counters = Record<string, number>;

async function counters(sql: postgres.Sql): Promise<Counters> {
  const [wal] = await sql`select wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync from pg_stat_wal`;
  const [cp] = await sql`select num_timed, num_requested, buffers_written from pg_stat_checkpointer`;
  const [bg] = await sql`select buffers_clean, maxwritten_clean from pg_stat_bgwriter`;
  const [msg] = await sql`select n_dead_tup, autovacuum_count, autoanalyze_count from pg_stat_user_tables where relname = 'webhook_messages'`;
  return Object.fromEntries(Object.entries({ ...wal, ...cp, ...bg, ...msg }).map(([k, v]) => [k, Number(v)]));
}

/** The statement's kind: its first words, with literals and identifiers of partitions left out. */
function kind(query: string): string {
  return query.replace(/\s+/g, " ").replace(/webhook_attempts_\d+/g, "webhook_attempts_N").slice(0, 70);
}

export async function sampleWaits(url: string, name: string): Promise<WaitSample> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [self] = await sql`select pg_backend_pid() as pid`;
  const pid = self!.pid as number;
  const start = await counters(sql);
  const tally = new Map<string, number>();
  let samples = 0;
  let autovacuumSamples = 0;
  let running = true;
  const purgeSteps = new Map<PurgeStep, number>();
  let step = "none";
  const loop = (async () => {
    while (running) {
      const rows = await sql`
        select backend_type, state, coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait, query
        from pg_stat_activity where pid <> ${pid} and (backend_type = 'autovacuum worker' or (backend_type = 'client backend' and state = 'active'))`;
      samples++;
      for (const r of rows) {
        const seen = r.backend_type === "client backend" ? purgeStep(r.query) : undefined;
        if (seen) {
          step = seen;
          if (!purgeSteps.has(seen)) purgeSteps.set(seen, Date.now());
        }
      }
      for (const r of rows) {
        if (r.backend_type === "autovacuum worker") {
          autovacuumSamples++;
          continue;
        }
        const key = `${step.padEnd(8)} ${r.wait.padEnd(28)} ${kind(r.query)}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  return {
    purgeSteps,
    async stop() {
      running = false;
      await loop;
      const end = await counters(sql);
      await sql.end({ timeout: 1 });
      const delta = Object.entries(end).map(([k, v]) => `${k} +${v - (start[k] ?? 0)}`).join(", ");
      const top = [...tally.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
      return [
        `  waits (${name}): ${samples} samples, autovacuum worker seen in ${autovacuumSamples}; ${delta}`,
        ...top.map(([k, n]) => `    ${String(n).padStart(6)}  ${k}`),
      ].join("\n");
    },
  };
}
