/**
 * Delivery throughput, latency and pacing of the local driver (`npm run bench:delivery`).
 *
 * One worker child process (scripts/worker.ts, as `npm run worker` runs it) against its own embedded
 * PostgreSQL (or DATABASE_URL), delivering to a loopback receiver in this process that answers 200
 * at once. Phases: the ceiling (a plain keep-alive undici `request` client with the worker's
 * concurrency, in its own process), idle latency, sustained throughput against a peer (a minimal
 * graphile-worker sender, scripts/bench/graphile-peer.ts, on the same server and receiver, in
 * interleaved rounds), pacing at the receiver at 5/10/100 rps beside a CPU hog (scripts/bench/pacing-at-receiver.ts),
 * 100 sites against one (scripts/bench/multi-site.ts), two worker processes against one
 * (scripts/bench/two-workers.ts), CPU per delivery, purge impact (scripts/bench/purge-impact.ts;
 * BENCH_PURGE=0 skips it) and peak RSS. BENCH_PHASES picks phases (e.g. latency,pacing).
 * Numbers on a shared machine are only as good as its load, printed with each phase: compare the
 * product with the peer of the same run (the ratio), not with another run's numbers.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { readEnv } from "../lib/env";
import { startWorkerProcess, type WorkerProcess } from "../tests/helpers/worker-process";
import { watchForStall } from "./bench/stall-report";
import {
  anyInFlight,
  attemptsByStatus,
  commitCount,
  insertBenchCustomer,
  insertBenchSite,
  queueMany,
  resetStatementStats,
  SIGNING,
  SIGNING_AB,
  startBenchDatabase,
  STATEMENT_STATS,
  tableUpdates,
  topStatements,
  type BenchDatabase,
} from "./bench/bench-database";
import { percentile, startLoopbackReceiver, type LoopbackReceiver } from "./bench/loopback-receiver";
import { cpuMs, machineCpuMs, peakRssMb, treeCpuMs } from "./bench/process-usage";
import { resultsTable } from "./bench/results-table";
import { measurePurgeImpact } from "./bench/purge-impact";
import { measureIdleLatency } from "./bench/idle-latency";
import { measurePacingAtReceiver } from "./bench/pacing-at-receiver";
import { GRAPHILE_VERSION, peerAttemptsByStatus, peerJobsLeft, queuePeerJobs, startPeerProcess, type PeerProcess } from "./bench/peer-sender";
import { measureMultiSite } from "./bench/multi-site";
import { measureTwoWorkers } from "./bench/two-workers";

const env = readEnv();
const CONCURRENCY = env.WORKER_CONCURRENCY;
const THROUGHPUT_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5_000);
/** BENCH_PHASES=latency,pacing (say) runs only those of ceiling, latency, throughput, pacing, multi-site, two-workers, purge. */
const PHASES = new Set((process.env.BENCH_PHASES ?? "ceiling,latency,throughput,pacing,multi-site,two-workers,purge").split(","));
/** Spread the throughput phase over this many sites (1 = every reservation on one site's pacing row). */
const THROUGHPUT_SITES = Number(process.env.BENCH_SITES ?? 1);
/** Threads of each throughput site, and the peer's concurrency: both senders get as many requests in flight. */
const THROUGHPUT_THREADS = Number(process.env.BENCH_THREADS ?? 50);
/** Interleaved rounds of product and peer in the throughput phase. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
  row(`1. ceiling: plain undici request, ${CONCURRENCY} keep-alive connections, ${CONCURRENCY} in flight`, `${Math.round(rate)} req/s`);
  return rate;
}

interface RoundResult {
  rate: number;
  /** CPU ms per delivery. */
  postgresMs: number;
  senderMs: number;
  /** This process: the loopback receiver, and the round's polling. */
  benchMs: number;
  /** The machine's busy CPU that none of the above (nor the worker or peer) accounts for: the kernel's loopback, other processes. */
  otherMs: number;
  /** The machine's idle share during the round (0–1, of all cores). */
  idle: number;
  check: string;
  ok: boolean;
}

type CpuReading = ReturnType<typeof cpuNow>;

/** CPU per delivery over a round of `messages`, from its `before` reading. */
function cpuSince(before: CpuReading, senderPid: number, database: BenchDatabase, messages: number) {
  const now = cpuNow(senderPid, database);
  const [sender, postgres, bench] = [now.sender - before.sender, database.postmasterPid ? now.postgres - before.postgres : NaN, now.bench - before.bench];
  const busy = now.machine.busy - before.machine.busy;
  const idle = now.machine.idle - before.machine.idle;
  return {
    postgresMs: postgres / messages,
    senderMs: sender / messages,
    benchMs: bench / messages,
    otherMs: (busy - sender - postgres - bench) / messages,
    idle: idle / (busy + idle),
  };
}

function cpuNow(senderPid: number, database: BenchDatabase) {
  return {
    sender: cpuMs(senderPid),
    postgres: database.postmasterPid ? treeCpuMs(database.postmasterPid) : 0,
    bench: cpuMs(process.pid),
    machine: machineCpuMs(),
  };
}

async function productRound(
  database: BenchDatabase,
  receiver: LoopbackReceiver,
  customerId: string,
  worker: WorkerProcess,
  round: number,
  lastRound: boolean,
  signing = SIGNING,
): Promise<RoundResult> {
  const pathName = `/throughput-${round}`;
  const siteIds = await Promise.all(
    Array.from({ length: THROUGHPUT_SITES }, () => insertBenchSite(database.db, `${receiver.url}${pathName}`, 100_000, THROUGHPUT_THREADS, signing)),
  );
  const workerPid = worker.child.pid!;
  // Before counting commits: the reset also zeroes pg_stat_database.
  if (STATEMENT_STATS && lastRound) await resetStatementStats(database.db);
  const commitsBefore = await commitCount(database.db);
  const before = cpuNow(workerPid, database);
  const started = Date.now();
  const stopWatch = watchForStall(database.db, siteIds, `round ${round}`, [worker.output]);
  for (const siteId of siteIds) await queueMany(database.db, siteId, customerId, Math.round(THROUGHPUT_MESSAGES / THROUGHPUT_SITES));
  await until(async () => !(await Promise.all(siteIds.map((id) => anyInFlight(database.db, id)))).some(Boolean), 240_000, "every message to finish", 50).finally(
    stopWatch,
  );
  const elapsedMs = Date.now() - started;
  const cpu = cpuSince(before, workerPid, database, THROUGHPUT_MESSAGES);
  if (STATEMENT_STATS && lastRound) {
    // Stats reach pg_stat_database within a second or so.
    await new Promise((r) => setTimeout(r, 1_000));
    console.error(`transactions per delivery: ${(((await commitCount(database.db)) - commitsBefore) / THROUGHPUT_MESSAGES).toFixed(2)}`);
    console.table(await topStatements(database.db));
    console.table(await tableUpdates(database.db));
  }
  const attempts = await attemptsByStatus(database.db, siteIds);
  const ids = receiver.ids(pathName);
  return {
    rate: (THROUGHPUT_MESSAGES / elapsedMs) * 1000,
    ...cpu,
    check: `attempts ${JSON.stringify(attempts)}, received ${ids.length}, distinct ${new Set(ids).size}`,
    ok: attempts.done === THROUGHPUT_MESSAGES && Object.keys(attempts).length === 1 && ids.length === THROUGHPUT_MESSAGES && new Set(ids).size === THROUGHPUT_MESSAGES,
  };
}

async function peerRound(database: BenchDatabase, receiver: LoopbackReceiver, peer: PeerProcess, round: number): Promise<RoundResult> {
  const before = cpuNow(peer.pid, database);
  const started = Date.now();
  await queuePeerJobs(database.db, round, THROUGHPUT_MESSAGES);
  await until(async () => (await peerJobsLeft(database.db)) === 0, 240_000, "every peer job to finish", 50);
  const elapsedMs = Date.now() - started;
  const cpu = cpuSince(before, peer.pid, database, THROUGHPUT_MESSAGES);
  const attempts = await peerAttemptsByStatus(database.db, round);
  const ids = receiver.ids(`/peer-${round}`);
  return {
    rate: (THROUGHPUT_MESSAGES / elapsedMs) * 1000,
    ...cpu,
    check: `attempts ${JSON.stringify(attempts)}, received ${ids.length}, distinct ${new Set(ids).size}`,
    ok: attempts.done === THROUGHPUT_MESSAGES && Object.keys(attempts).length === 1 && ids.length === THROUGHPUT_MESSAGES && new Set(ids).size === THROUGHPUT_MESSAGES,
  };
}

const median = (values: number[]) => percentile(values, 50);
const spread = (values: number[], digits = 0) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

/**
 * The product against the peer, in interleaved rounds (the order alternates, so a load change on the
 * shared machine hits both alike); each round's ratio compares runs seconds apart.
 */
async function measureThroughput(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, worker: WorkerProcess, peer: PeerProcess, ceiling: number): Promise<number> {
  const product: RoundResult[] = [];
  const peers: RoundResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const runProduct = async () => product.push(await productRound(database, receiver, customerId, worker, round, round === ROUNDS));
    const runPeer = async () => peers.push(await peerRound(database, receiver, peer, round));
    if (round % 2) await runProduct().then(runPeer);
    else await runPeer().then(runProduct);
    console.error(`  round ${round}: product ${product.at(-1)!.rate.toFixed(0)} /s, peer ${peers.at(-1)!.rate.toFixed(0)} /s (load ${load()})`);
  }
  const ratios = product.map((p, i) => p.rate / peers[i]!.rate);
  const rates = product.map((p) => p.rate);
  row(
    `2. sustained deliveries, product (${THROUGHPUT_MESSAGES} to ${THROUGHPUT_SITES} site(s) of ${THROUGHPUT_THREADS} threads, 100,000 rps; median of ${ROUNDS} rounds)`,
    Number.isFinite(ceiling) ? `${spread(rates)} /s = ${((median(rates) / ceiling) * 100).toFixed(1)} % of ceiling` : `${spread(rates)} /s`,
  );
  row(`2. sustained deliveries, peer (graphile-worker ${GRAPHILE_VERSION}, concurrency ${THROUGHPUT_THREADS})`, `${spread(peers.map((p) => p.rate))} /s`);
  row("2. ratio product / peer (median of the rounds' ratios)", `${spread(ratios, 2)}`, "≥ 1.20");
  row("2. PostgreSQL CPU per delivery: product / peer", `${spread(product.map((p) => p.postgresMs), 2)} ms / ${spread(peers.map((p) => p.postgresMs), 2)} ms`, "product ≤ 0.60 ms");
  row("2. bench process CPU per delivery (receiver, polling): product rounds / peer rounds", `${spread(product.map((p) => p.benchMs), 2)} ms / ${spread(peers.map((p) => p.benchMs), 2)} ms`);
  row("2. machine CPU per delivery no process above accounts for (kernel, others): product / peer", `${spread(product.map((p) => p.otherMs), 2)} ms / ${spread(peers.map((p) => p.otherMs), 2)} ms`);
  row("2. machine idle during the rounds: product / peer", `${spread(product.map((p) => p.idle * 100))} % / ${spread(peers.map((p) => p.idle * 100))} %`);
  row("2. sender CPU per delivery: product worker / peer", `${spread(product.map((p) => p.senderMs), 2)} ms / ${spread(peers.map((p) => p.senderMs), 2)} ms`);
  for (const [who, results] of [["product", product], ["peer", peers]] as const) {
    const bad = results.filter((r) => !r.ok);
    row(
      `2. check (${who}): every attempt logged done, each message received once`,
      bad.length ? bad.map((r) => r.check).join("; ") : `all ${ROUNDS} rounds: ${results[0]!.check}`,
      `done = received = distinct = ${THROUGHPUT_MESSAGES}`,
    );
  }
  return median(rates);
}

/**
 * BENCH_SIGNING=ab: the product alone, unsigned and signed rounds alternating ABBA… (BENCH_ROUNDS of
 * each) in one run, so a trend over the run weighs on both alike; the cost of Standard Webhooks
 * signing as a throughput ratio and as the sender's CPU per delivery (which the shared machine's
 * load disturbs less than the rate).
 */
async function measureSigningCost(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, worker: WorkerProcess) {
  const rounds = { off: [] as RoundResult[], on: [] as RoundResult[] };
  const order = Array.from({ length: ROUNDS * 2 }, (_, i) => [false, true, true, false][i % 4]!);
  let round = 1_000;
  for (const signing of order) {
    const result = await productRound(database, receiver, customerId, worker, ++round, false, signing);
    if (!result.ok) throw new Error(`signing ${signing ? "on" : "off"}: ${result.check}`);
    rounds[signing ? "on" : "off"].push(result);
    console.error(`  signing ${signing ? "on " : "off"}: ${result.rate.toFixed(0)} /s, sender ${result.senderMs.toFixed(3)} ms (load ${load()})`);
  }
  const rate = (r: RoundResult[]) => r.map((x) => x.rate);
  const sender = (r: RoundResult[]) => r.map((x) => x.senderMs);
  row(`2s. sustained deliveries, signing off (${THROUGHPUT_MESSAGES} to 1 site, median of ${ROUNDS})`, `${spread(rate(rounds.off))} /s; sender CPU ${spread(sender(rounds.off), 3)} ms`);
  row(`2s. sustained deliveries, signing on (webhook-signature on every request, median of ${ROUNDS})`, `${spread(rate(rounds.on))} /s; sender CPU ${spread(sender(rounds.on), 3)} ms`);
  row("2s. signed / unsigned throughput", (median(rate(rounds.on)) / median(rate(rounds.off))).toFixed(3), "≥ 0.95");
  row("2s. signed / unsigned sender CPU per delivery", (median(sender(rounds.on)) / median(sender(rounds.off))).toFixed(3));
}

async function main() {
  console.error(`bench: load ${load()} on ${os.availableParallelism()} cores; starting PostgreSQL, receiver and worker`);
  const database = await startBenchDatabase(env.DATABASE_URL);
  const receiver = await startLoopbackReceiver();
  const customerId = await insertBenchCustomer(database.db);
  const startWorker = (extra: Record<string, string> = {}) => startWorkerProcess(database.url, { WORKER_CONCURRENCY: String(CONCURRENCY), ...extra });
  let worker: WorkerProcess | undefined;
  let peer: PeerProcess | undefined;
  try {
    if (SIGNING_AB) {
      await measureSigningCost(database, receiver, customerId, (worker = await startWorker()));
      return printTable();
    }
    peer = await startPeerProcess(database.db, database.url, receiver.url, THROUGHPUT_THREADS);
    const ceiling = PHASES.has("ceiling") ? await measureCeiling(receiver) : NaN;
    if (PHASES.has("latency")) {
      // On a worker of its own that traces each message's path (the tracing stays out of the other phases).
      worker = await startWorker({ DELIVERY_TRACE: "1" });
      await measureIdleLatency(database, receiver, customerId, row, worker.output, true);
      await worker.stop();
    }
    // BENCH_TRACE=1: this worker traces too (the pacing phase then breaks down each request's lateness).
    worker = await startWorker(process.env.BENCH_TRACE === "1" ? { DELIVERY_TRACE: "1" } : {});
    const throughput = PHASES.has("throughput") ? await measureThroughput(database, receiver, customerId, worker, peer, ceiling) : Infinity;
    if (PHASES.has("pacing")) await measurePacingAtReceiver(database, customerId, row, throughput, worker.output);
    if (PHASES.has("multi-site")) await measureMultiSite(database, receiver, customerId, row, THROUGHPUT_THREADS);
    if (PHASES.has("two-workers")) await measureTwoWorkers(database, receiver, customerId, row, THROUGHPUT_THREADS, { WORKER_CONCURRENCY: String(CONCURRENCY) }, worker.output);
    if (PHASES.has("purge") && process.env.BENCH_PURGE !== "0") await measurePurgeImpact(database, receiver, customerId, row);
    if (process.env.BENCH_TRACE_FILE) await import("node:fs/promises").then((fs) => fs.writeFile(process.env.BENCH_TRACE_FILE!, worker!.output()));
    row("5. worker peak RSS (VmHWM)", `${peakRssMb(worker.child.pid!).toFixed(0)} MB`, "< 300 MB");
  } catch (error) {
    console.error(`worker output:\n${worker?.output().slice(-3000)}`);
    throw error;
  } finally {
    await worker?.stop();
    await peer?.stop();
    await receiver.close();
    await database.stop();
  }
  printTable();
}

function printTable() {
  results.print(
    `bench:delivery — local driver, worker in a child process (scripts/worker.ts, WORKER_CONCURRENCY=${CONCURRENCY}), ` +
    `${env.DATABASE_URL ? "DATABASE_URL" : "embedded PostgreSQL"}, ${os.availableParallelism()} cores; load = 1-min load average when measured`,
  );
}

await main();
process.exit(0);
