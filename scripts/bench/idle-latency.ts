/**
 * Idle latency (bench:delivery phase 3): one message at a time to an idle worker, enqueue() →
 * receiver, alternating with the peer's (one graphile-worker job at a time) in the same run. With the
 * worker started with DELIVERY_TRACE=1 (the bench does), each product message's path is broken down
 * by the worker's timestamps (lib/observability/delivery-trace.ts): enqueue statement, NOTIFY heard,
 * claim, thread and start reserved, start reached, request handed to the HTTP client, headers
 * written, arrival. Medians and p99 of each step are printed.
 */
import { enqueue } from "../../lib/delivery/enqueue";
import type { BenchDatabase } from "./bench-database";
import { insertBenchSite, resetStatementStats, STATEMENT_STATS, topStatements } from "./bench-database";
import { percentile, preciseNow, tenth, type LoopbackReceiver } from "./loopback-receiver";
import { queuePeerJobs } from "./peer-sender";

// 300: a p99 of 50 messages is their slowest one alone.
const LATENCY_MESSAGES = Number(process.env.BENCH_LATENCY_MESSAGES ?? 300);
const STEPS = ["enqueued", "notified", "claim-issued", "claimed", "reserved", "slot", "handed", "written", "arrived"] as const;

type Row = (what: string, value: string, goal?: string) => void;
/** One product message, as the bench saw it (ms since epoch). */
type MessagePath = { messageId: string; before: number; enqueued: number; arrived: number };

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The worker's trace lines, per message id (stage → ms); lines of no message ("-") by stage, in order. */
function parseTrace(output: string) {
  const byMessage = new Map<string, Record<string, number>>();
  const unnamed: { stage: string; at: number }[] = [];
  for (const [, id, stage, at] of output.matchAll(/\[delivery-trace\] (\S+) (\S+) ([\d.]+)/g)) {
    if (id === "-") unnamed.push({ stage: stage!, at: Number(at) });
    else {
      const stages = byMessage.get(id!) ?? {};
      // The first of each stage (a late start books again and waits again).
      stages[stage!] ??= Number(at);
      byMessage.set(id!, stages);
    }
  }
  return { byMessage, unnamed };
}

export async function measureIdleLatency(
  database: BenchDatabase,
  receiver: LoopbackReceiver,
  customerId: string,
  row: Row,
  workerOutput: () => string,
  peer: boolean,
): Promise<void> {
  const siteId = await insertBenchSite(database.db, `${receiver.url}/latency`, 1000, 10);
  const latencies: number[] = [];
  const peerLatencies: number[] = [];
  const peerEnqueues: number[] = [];
  const paths: MessagePath[] = [];
  // BENCH_STATEMENT_STATS=1: what each statement of the idle path (product and peer) costs PostgreSQL.
  if (STATEMENT_STATS) await resetStatementStats(database.db);
  // Product and peer alternate message by message, so both see the same moments of a noisy machine.
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const before = preciseNow();
    const { id } = await enqueue(database.db, { siteId, customerId, action: "bench.latency", payload: { i } });
    const enqueued = preciseNow();
    await until(() => receiver.arrivals("/latency").length > i, 15_000, "a latency message");
    const arrived = receiver.arrivals("/latency")[i]!;
    latencies.push(arrived - before);
    paths.push({ messageId: id, before, enqueued, arrived });
    await new Promise((r) => setTimeout(r, 20));
    if (!peer) continue;
    const round = 10_000 + i;
    const peerBefore = preciseNow();
    await queuePeerJobs(database.db, round, 1);
    peerEnqueues.push(preciseNow() - peerBefore);
    await until(() => receiver.arrivals(`/peer-${round}`).length > 0, 15_000, "a peer latency job");
    peerLatencies.push(receiver.arrivals(`/peer-${round}`)[0]! - peerBefore);
    await new Promise((r) => setTimeout(r, 20));
  }
  row(
    `3. idle latency enqueue() → receiver, product (${LATENCY_MESSAGES} one at a time)`,
    `p50 ${tenth(percentile(latencies, 50))} ms, p99 ${tenth(percentile(latencies, 99))} ms, max ${tenth(Math.max(...latencies))} ms`,
    "p99 < 20 ms",
  );
  if (STATEMENT_STATS) console.table(await topStatements(database.db));
  breakdown(paths, workerOutput(), row);
  if (peer) {
    row(
      `3. idle latency, peer (graphile-worker job → receiver, ${LATENCY_MESSAGES} one at a time, alternating with the product's)`,
      `p50 ${tenth(percentile(peerLatencies, 50))} ms, p99 ${tenth(percentile(peerLatencies, 99))} ms, max ${tenth(Math.max(...peerLatencies))} ms; its enqueue (add_jobs) p50 ${tenth(percentile(peerEnqueues, 50))} / p99 ${tenth(percentile(peerEnqueues, 99))} ms`,
    );
  }
}

/** Per step of the path, the time from the previous step: p50 / p99 over the messages traced. */
function breakdown(paths: MessagePath[], output: string, row: Row) {
  const { byMessage, unnamed } = parseTrace(output);
  const steps: Record<string, number[]> = {};
  const slowest: { total: number; steps: string }[] = [];
  for (const p of paths) {
    const traced = byMessage.get(p.messageId);
    if (!traced) continue;
    // The NOTIFY and claim lines that came after this enqueue started and before it was claimed.
    const lastBefore = (stage: string) => unnamed.filter((u) => u.stage === stage && u.at >= p.before && u.at <= traced.claimed!).at(0)?.at;
    const at: Record<string, number | undefined> = {
      before: p.before,
      enqueued: p.enqueued,
      notified: lastBefore("notified"),
      "claim-issued": unnamed.filter((u) => u.stage === "claim-issued" && u.at <= traced.claimed!).at(-1)?.at,
      ...traced,
      arrived: p.arrived,
    };
    let previous = p.before;
    const own: string[] = [];
    for (const step of STEPS) {
      const t = at[step];
      if (t === undefined) continue;
      (steps[step] ??= []).push(t - previous);
      own.push(`${step} ${(t - previous).toFixed(1)}`);
      previous = t;
    }
    slowest.push({ total: tenth(p.arrived - p.before), steps: own.join(", ") });
  }
  if (Object.keys(steps).length === 0) return;
  row(
    "3. idle latency breakdown, product (ms from the previous step, p50/p99)",
    STEPS.filter((s) => steps[s]).map((s) => `${s} ${percentile(steps[s]!, 50).toFixed(1)}/${percentile(steps[s]!, 99).toFixed(1)}`).join(", "),
  );
  // The slowest 1 % (at least 2), step by step: where the tail is.
  slowest.sort((a, b) => b.total - a.total);
  for (const s of slowest.slice(0, Math.max(2, Math.ceil(slowest.length / 100)))) {
    row(`3. idle latency, one of the slowest product messages (${s.total} ms)`, s.steps);
  }
}
