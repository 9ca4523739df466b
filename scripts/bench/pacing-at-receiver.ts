/**
 * Pacing at the receiver (bench:delivery phase 4): for each rps, BENCH_PACING_RUNS runs of a fresh
 * site, each with BENCH_PACING_SECONDS worth of messages queued at once; beside a CPU hog on every
 * core unless BENCH_HOG=0, sending to a receiver in a process of its own at raised priority
 * (receiver-process.ts: it stands for another machine). What counts is what the receiver saw: the most arrivals in any 1 s window
 * (≤ rps) and the achieved rate (≥ 98 %). Also printed: the recorded starts' window, and how long after
 * its recorded start each request reached the receiver (the jitter the limiter must absorb).
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import { maxInWindow } from "../../tests/helpers/webhook-receiver";
import type { BenchDatabase } from "./bench-database";
import { inFlightCount, insertBenchSite, queueMany, recordedStarts } from "./bench-database";
import { startCpuHog } from "./cpu-hog";
import { percentile } from "./loopback-receiver";
import { startReceiverProcess } from "./receiver-process";

const PACING_RATES = (process.env.BENCH_PACING_RPS ?? "5,10,100").split(",").map(Number);
const PACING_RUNS = Number(process.env.BENCH_PACING_RUNS ?? 3);
const PACING_SECONDS = Number(process.env.BENCH_PACING_SECONDS ?? 6);
const HOG = process.env.BENCH_HOG !== "0";

type Row = (what: string, value: string, goal?: string) => void;

type Arrivals = { times: number[]; ids: string[] };

/** Each request's arrival at the receiver minus its recorded start (ms), by Webhook-Id. */
async function arrivalAfterStart(database: BenchDatabase, { times, ids }: Arrivals, siteId: string): Promise<number[]> {
  const rows = await database.db.execute<{ message_id: string; ms: number }>(sql`
    select message_id, extract(epoch from started_at)::float8 * 1000 as ms from webhook_attempts where site_id = ${siteId} and started_at is not null`);
  const started = new Map(rows.map((r) => [r.message_id, r.ms]));
  return ids.flatMap((id, i) => (started.has(id) ? [times[i]! - started.get(id)!] : []));
}

export async function measurePacingAtReceiver(
  database: BenchDatabase,
  customerId: string,
  row: Row,
  /** The worker's sustained rate: a limit above it is only sent what fits the phase's time. */
  throughput = Infinity,
  /** The worker's output: with DELIVERY_TRACE=1 on it, each run also breaks the lateness down by step. */
  workerOutput?: () => string,
): Promise<void> {
  const receiver = await startReceiverProcess();
  const hog = HOG ? startCpuHog() : undefined;
  const beside = `${hog ? `beside a CPU hog on ${hog.processes} cores` : "no hog"}${receiver.raised ? "" : ", receiver not raised"}`;
  try {
    for (const rps of PACING_RATES) {
      for (let run = 1; run <= PACING_RUNS; run++) {
        const pathName = `/pacing-${rps}-${run}`;
        const count = Math.round(Math.min(rps, throughput) * PACING_SECONDS);
        const siteId = await insertBenchSite(database.db, `${receiver.url}${pathName}`, rps, Math.min(100, Math.max(10, rps)));
        await queueMany(database.db, siteId, customerId, count);
        const deadline = Date.now() + PACING_SECONDS * 3_000 + 10_000;
        while ((await inFlightCount(database.db, siteId)) > 0) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for the ${rps} rps site`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const arrivals = await receiver.arrivals(pathName);
        const times = arrivals.times;
        const span = Math.max(...times) - Math.min(...times);
        const achieved = ((times.length - 1) / span) * 1000;
        const delays = await arrivalAfterStart(database, arrivals, siteId);
        row(
          `4. pacing at ${rps} rps, run ${run} (${count} messages, ${beside}, load ${os.loadavg()[0]!.toFixed(2)})`,
          `max in any 1 s window at the receiver ${maxInWindow(times)} (recorded starts ${maxInWindow(await recordedStarts(database.db, siteId))}), ` +
            `${((achieved / rps) * 100).toFixed(1)} % of rate; arrival after start p50 ${percentile(delays, 50).toFixed(1)} / ` +
            `p99 ${percentile(delays, 99).toFixed(1)} / max ${Math.max(...delays).toFixed(1)} ms`,
          `window ≤ ${rps}, ≥ 98 %`,
        );
        if (workerOutput) latenessBreakdown(workerOutput(), arrivals, row);
      }
    }
  } finally {
    await hog?.stop();
    await receiver.stop();
  }
}

/** With a traced worker: per step from the start reached to the arrival, p50/p99/max over the run's requests. */
function latenessBreakdown(output: string, { times, ids }: Arrivals, row: Row) {
  const stages = new Map<string, Record<string, number>>();
  for (const [, id, stage, at] of output.matchAll(/\[delivery-trace\] (\S+) (\S+) ([\d.]+)/g)) {
    const s = stages.get(id!) ?? {};
    s[stage!] = Number(at); // the last: a late start that booked again counts from its second slot
    stages.set(id!, s);
  }
  const steps: Record<string, number[]> = {};
  ids.forEach((id, i) => {
    const s = stages.get(id);
    if (!s) return;
    const at: Record<string, number | undefined> = { ...s, arrived: times[i]! };
    for (const [from, to] of [["slot", "handed"], ["handed", "written"], ["written", "arrived"]] as const) {
      if (at[from] !== undefined && at[to] !== undefined) (steps[`${from}→${to}`] ??= []).push(at[to]! - at[from]!);
    }
  });
  if (Object.keys(steps).length === 0) return; // an untraced worker
  row(
    "4. … lateness by step (ms, p50/p99/max)",
    Object.entries(steps).map(([k, v]) => `${k} ${percentile(v, 50).toFixed(1)}/${percentile(v, 99).toFixed(1)}/${Math.max(...v).toFixed(1)}`).join(", "),
  );
}
