/**
 * Delivery throughput, latency and pacing of the local driver (`npm run bench:delivery`).
 *
 * One worker child process (scripts/worker.ts, as `npm run worker` runs it) against its own embedded
 * PostgreSQL (or DATABASE_URL), delivering to a loopback receiver in this process that answers 200
 * at once. Phases: the ceiling (a plain keep-alive HTTP client with the worker's concurrency, in its
 * own process), idle latency, sustained throughput, pacing at 10/100/1,000 rps, CPU and peak RSS.
 * Numbers on a shared machine are only as good as its load, printed with each phase.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { enqueue } from "../lib/delivery/enqueue";
import { readEnv } from "../lib/env";
import { startWorkerProcess, type WorkerProcess } from "../tests/helpers/worker-process";
import {
  attemptsByStatus,
  commitCount,
  inFlightCount,
  insertBenchCustomer,
  insertBenchSite,
  queueMany,
  recordedStarts,
  resetStatementStats,
  SIGNING,
  SIGNING_AB,
  startBenchDatabase,
  STATEMENT_STATS,
  tableUpdates,
  topStatements,
  type BenchDatabase,
} from "./bench/bench-database";
// The same window count the pacing tests assert with.
import { maxInWindow } from "../tests/helpers/webhook-receiver";
import { percentile, startLoopbackReceiver, type LoopbackReceiver } from "./bench/loopback-receiver";
import { cpuMs, peakRssMb, treeCpuMs } from "./bench/process-usage";
import { resultsTable } from "./bench/results-table";

const env = readEnv();
const CONCURRENCY = env.WORKER_CONCURRENCY;
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5_000);
const PACING_SECONDS = Number(process.env.BENCH_PACING_SECONDS ?? 6);
const LATENCY_MESSAGES = 50;
/** Spread the throughput phase over this many sites (1 = every reservation on one site's pacing row). */
const THROUGHPUT_SITES = Number(process.env.BENCH_SITES ?? 1);

const load = () => os.loadavg()[0]!.toFixed(2);
const results = resultsTable();
const row = results.row;

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, pollMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function plainClient(url: string, concurrency: number, durationMs: number): Promise<{ requests: number; elapsedMs: number; cpuMs: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("scripts/bench/plain-client.ts"), url, String(concurrency), String(durationMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`plain client exited ${code}`)))));
}

async function measureCeiling(receiver: LoopbackReceiver): Promise<number> {
  const { requests, elapsedMs } = await plainClient(`${receiver.url}/ceiling`, CONCURRENCY, 3_000);
  const rate = (requests / elapsedMs) * 1000;
  row(`1. ceiling: plain undici fetch, keep-alive, ${CONCURRENCY} in flight`, `${Math.round(rate)} req/s`);
  return rate;
}

async function measureIdleLatency(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string) {
  const siteId = await insertBenchSite(database.db, `${receiver.url}/latency`, 1000, 10);
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const before = Date.now();
    await enqueue(database.db, { siteId, customerId, action: "bench.latency", payload: { i } });
    await until(() => receiver.arrivals("/latency").length > i, 15_000, "a latency message", 1);
    latencies.push(receiver.arrivals("/latency")[i]! - before);
    await new Promise((r) => setTimeout(r, 20));
  }
  row(
    `3. idle latency enqueue() → receiver (${LATENCY_MESSAGES} one at a time)`,
    `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms`,
    "p99 < 50 ms",
  );
}

let throughputRuns = 0;

async function measureThroughput(
  database: BenchDatabase,
  receiver: LoopbackReceiver,
  customerId: string,
  worker: WorkerProcess,
  ceiling: number,
  signing = SIGNING,
): Promise<number> {
  // Each run its own path, so that the receiver's counts are the run's.
  const pathName = `/throughput-${++throughputRuns}`;
  const siteIds = await Promise.all(
    Array.from({ length: THROUGHPUT_SITES }, () => insertBenchSite(database.db, `${receiver.url}${pathName}`, 100_000, CONCURRENCY, signing)),
  );
  const workerPid = worker.child.pid!;
  const cpuBefore = { worker: cpuMs(workerPid), postgres: database.postmasterPid ? treeCpuMs(database.postmasterPid) : 0, bench: process.cpuUsage() };
  // Before counting commits: the reset also zeroes pg_stat_database.
  if (STATEMENT_STATS) await resetStatementStats(database.db);
  const commitsBefore = await commitCount(database.db);
  const started = Date.now();
  for (const siteId of siteIds) await queueMany(database.db, siteId, customerId, Math.round(THROUGHPUT_MESSAGES / THROUGHPUT_SITES));
  const queuedMs = Date.now() - started;
  await until(async () => (await Promise.all(siteIds.map((id) => inFlightCount(database.db, id)))).every((n) => n === 0), 240_000, "every message to finish", 50);
  const elapsedMs = Date.now() - started;
  const cpu = {
    worker: cpuMs(workerPid) - cpuBefore.worker,
    postgres: database.postmasterPid ? treeCpuMs(database.postmasterPid) - cpuBefore.postgres : NaN,
    bench: (() => {
      const u = process.cpuUsage(cpuBefore.bench);
      return (u.user + u.system) / 1000;
    })(),
  };
  // Stats reach pg_stat_database within a second or so; the bench's own polling is a few of them.
  await new Promise((r) => setTimeout(r, 1_000));
  const commits = (await commitCount(database.db)) - commitsBefore;
  if (STATEMENT_STATS) console.table(await topStatements(database.db));
  if (STATEMENT_STATS) console.table(await tableUpdates(database.db));
  const rate = (THROUGHPUT_MESSAGES / elapsedMs) * 1000;
  const attempts = await attemptsByStatus(database.db, siteIds);
  const ids = receiver.ids(pathName);
  row(
    `2. sustained deliveries (${THROUGHPUT_MESSAGES} to ${THROUGHPUT_SITES} site(s), queued in ${queuedMs} ms, until all done)`,
    `${Math.round(rate)} /s in ${(elapsedMs / 1000).toFixed(1)} s = ${((rate / ceiling) * 100).toFixed(1)} % of ceiling`,
    "≥ 2,000 /s",
  );
  row(
    "2. check: every attempt logged, each message received once",
    `attempts ${JSON.stringify(attempts)}, received ${ids.length}, distinct ${new Set(ids).size}`,
    `done = received = distinct = ${THROUGHPUT_MESSAGES}`,
  );
  const [signed] = await database.db.execute<{ n: number }>(
    sql`select count(*)::int as n from webhook_attempts where site_id = any(${`{${siteIds.join(",")}}`}::uuid[]) and request -> 'headers' ? 'webhook-signature'`,
  );
  row(`2. attempts sent with a webhook-signature (signing ${signing ? "on" : "off"})`, `${signed!.n}`, signing ? `= ${THROUGHPUT_MESSAGES}` : "0");
  row("2. database transactions per delivery (claims, reservation, record, renewals, bench polling)", (commits / THROUGHPUT_MESSAGES).toFixed(2));
  const seconds = elapsedMs / 1000;
  row(
    "5. CPU during the throughput phase (cores busy = CPU s / wall s)",
    `worker ${(cpu.worker / 1000 / seconds).toFixed(2)}, postgres ${(cpu.postgres / 1000 / seconds).toFixed(2)}, bench+receiver ${(cpu.bench / 1000 / seconds).toFixed(2)}; ` +
      `per delivery: worker ${((cpu.worker * 1000) / THROUGHPUT_MESSAGES).toFixed(0)} µs, postgres ${((cpu.postgres * 1000) / THROUGHPUT_MESSAGES).toFixed(0)} µs`,
  );
  return rate;
}

async function measurePacing(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, rps: number, throughput: number) {
  const pathName = `/pacing-${rps}`;
  // A limit above what the worker sustains cannot be reached: send only what fits the phase's time.
  const count = Math.round(Math.min(rps, throughput) * PACING_SECONDS);
  const siteId = await insertBenchSite(database.db, `${receiver.url}${pathName}`, rps, Math.min(100, Math.max(10, rps / 10)));
  await queueMany(database.db, siteId, customerId, count);
  await until(async () => (await inFlightCount(database.db, siteId)) === 0, PACING_SECONDS * 3_000 + 10_000, `the ${rps} rps site`, 100);
  const times = receiver.arrivals(pathName);
  const span = Math.max(...times) - Math.min(...times);
  const achieved = ((times.length - 1) / span) * 1000;
  row(
    `4. pacing at ${rps} rps (${count} messages${rps > throughput ? ", limit above sustained throughput" : ""})`,
    `${achieved.toFixed(1)} rps = ${((achieved / rps) * 100).toFixed(1)} %, max in any 1 s window: at the receiver ${maxInWindow(times)}, ` +
      `recorded starts ${maxInWindow(await recordedStarts(database.db, siteId))}`,
    `≥ 98 %, window ≤ ${rps}`,
  );
}

async function main() {
  console.error(`bench: load ${load()} on ${os.availableParallelism()} cores; starting PostgreSQL, receiver and worker`);
  const database = await startBenchDatabase(env.DATABASE_URL);
  const receiver = await startLoopbackReceiver();
  const customerId = await insertBenchCustomer(database.db);
  const worker = await startWorkerProcess(database.url, { WORKER_CONCURRENCY: String(CONCURRENCY) });
  try {
    const ceiling = await measureCeiling(receiver);
    if (SIGNING_AB) {
      // ABBA order: a trend over the run (load, a growing database) weighs on both alike.
      for (const signing of [false, true, true, false, false, true]) await measureThroughput(database, receiver, customerId, worker, ceiling, signing);
      return printTable();
    }
    await measureIdleLatency(database, receiver, customerId);
    const throughput = await measureThroughput(database, receiver, customerId, worker, ceiling);
    for (const rps of [10, 100, 1000]) await measurePacing(database, receiver, customerId, rps, throughput);
    row("5. worker peak RSS (VmHWM)", `${peakRssMb(worker.child.pid!).toFixed(0)} MB`, "< 300 MB");
  } catch (error) {
    console.error(`worker output:\n${worker.output().slice(-3000)}`);
    throw error;
  } finally {
    await worker.stop();
    await receiver.close();
    await database.stop();
  }
  printTable();
}

function printTable() {
  results.print(
    `bench:delivery — local driver, worker in a child process (scripts/worker.ts, WORKER_CONCURRENCY=${CONCURRENCY}), ` +
    `${env.DATABASE_URL ? "DATABASE_URL" : "embedded PostgreSQL"}, ${os.availableParallelism()} cores, ` +
    `signing ${SIGNING_AB ? "off/on alternating (BENCH_SIGNING=ab)" : SIGNING ? "on (BENCH_SIGNING=1)" : "off"}; load = 1-min load average when measured`,
  );
}

await main();
process.exit(0);
