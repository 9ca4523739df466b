import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { DatabaseHandle } from "../../lib/db/client";

export const GRAPHILE_VERSION: string = createRequire(import.meta.url)("graphile-worker/package.json").version;

export interface PeerProcess {
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The peer's attempt rows (its own schema), then the peer itself, which installs graphile-worker's schema on start. */
export async function startPeerProcess(db: DatabaseHandle["db"], databaseUrl: string, receiverUrl: string, concurrency: number): Promise<PeerProcess> {
  await db.execute(sql`create schema if not exists peer`);
  await db.execute(sql`
    create table if not exists peer.attempts (
      id bigserial primary key, job_id text not null, round int not null, attempt_no int not null, status text not null,
      response_code int, started_at timestamptz not null, finished_at timestamptz not null, duration_ms int, response_excerpt text)`);
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("scripts/bench/graphile-peer.ts"), databaseUrl, receiverUrl, String(concurrency)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!output.includes("ready")) {
    if (child.exitCode !== null) throw new Error(`the peer exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the peer did not start within 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  while ((await peerJobsLeft(db)) > 0) await new Promise((r) => setTimeout(r, 50));
  return {
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `count` jobs in one statement (graphile-worker's add_jobs, which notifies its workers). */
export async function queuePeerJobs(db: DatabaseHandle["db"], round: number, count: number): Promise<void> {
  await db.execute(sql`
    select count(*) from graphile_worker.add_jobs(array(
      select row('deliver', json_build_object('round', ${round}::int, 'n', n), null, null, null, null, null, null)::graphile_worker.job_spec
      from generate_series(1, ${count}::int) n))`);
}

/** Jobs not yet completed (graphile-worker deletes a job once its task succeeded). */
export async function peerJobsLeft(db: DatabaseHandle["db"]): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from graphile_worker._private_jobs`);
  return row!.n;
}

export async function peerAttemptsByStatus(db: DatabaseHandle["db"], round: number): Promise<Record<string, number>> {
  const rows = await db.execute<{ status: string; n: number }>(sql`
    select status, count(*)::int as n from peer.attempts where round = ${round}::int group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
