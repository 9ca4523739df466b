/**
 * Memory soak (`npm run bench:soak`): the built app (`next start`, its in-server local worker)
 * against its own embedded PostgreSQL (or DATABASE_URL), delivering to a loopback receiver in this
 * process. For BENCH_SOAK_MINUTES (default 20) it enqueues BENCH_SOAK_RATE messages/s (default 300)
 * through POST /api/webhooks/messages with an API token, to one site at rps BENCH_SOAK_SITE_RPS
 * (default 1,000), while reading the Logs page and API and the Queue page and API a few times a
 * second, signed in. Every BENCH_SOAK_SAMPLE_S (10 s) it samples the server process's RSS from
 * /proc (and V8 heap from the server's /api/metrics scrape), deliveries/s at the receiver and the
 * queue depth; prints the samples, then the RSS at the end of the warm-up (BENCH_SOAK_WARMUP_MINUTES,
 * default 3), min/max after it and their drift from it in % (target: within ±10 %), the heap's low
 * points every 2 minutes (V8 sizes its heap as it likes between collections; a leak shows as low
 * points that climb) and the RSS and heap after a full collection at the end (through the server's
 * inspector).
 *
 * BENCH_SOAK_WORKER=process runs delivery in its own `npm run worker` process (the web server's
 * in-server worker off), as a deployment that needs the rate would: the samples then follow both
 * processes' RSS, each judged on its own.
 */
import os from "node:os";
import { Agent, request } from "undici";
import { createApiToken } from "../lib/api-tokens/manage-api-tokens";
import { readEnv } from "../lib/env";
import { startWorkerProcess, TEST_ENCRYPTION_KEY, type WorkerProcess } from "../tests/helpers/worker-process";
import { signInCookie, type WebServer } from "../tests/helpers/web-server";
import { inFlightCount, insertBenchCustomer, insertBenchSite } from "./bench/bench-database";
import { runBench, withBuiltApp } from "./bench/built-app";
import { collectGarbageIn } from "./bench/inspector-gc";
import { startLoopbackReceiver } from "./bench/loopback-receiver";
import { resultsTable } from "./bench/results-table";
import { processRss, scrapeServerHeap, serverProcessRss } from "./bench/server-memory";

const env = readEnv();
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 20);
const WARMUP_MINUTES = Number(process.env.BENCH_SOAK_WARMUP_MINUTES ?? Math.min(3, MINUTES / 2));
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 300);
const SITE_RPS = Number(process.env.BENCH_SOAK_SITE_RPS ?? 1_000);
const SITE_THREADS = Number(process.env.BENCH_SOAK_THREADS ?? 50);
const SAMPLE_MS = Number(process.env.BENCH_SOAK_SAMPLE_S ?? 10) * 1000;
/** Enqueue requests in flight at most: beyond it the bench falls behind its rate rather than pile up. */
const MAX_ENQUEUES_IN_FLIGHT = 64;
const RECEIVER_PATH = "/soak";
/** Delivery inside the web server (default) or in a worker process of its own. */
const WORKER_MODE = process.env.BENCH_SOAK_WORKER === "process" ? "process" : "server";

interface Sample {
  atS: number;
  rssMb: number;
  anonMb: number;
  /** The worker process's RSS when delivery runs in one (BENCH_SOAK_WORKER=process). */
  workerRssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  deliveriesPerS: number;
  enqueuedPerS: number;
  readsPerS: number;
  queueDepth: number;
  load: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enqueues `rate` messages/s, spread over 20 ms ticks, until stopped; counts what the API accepted and refused. */
function startEnqueuing(server: WebServer, agent: Agent, token: string, siteId: string, customerId: string) {
  const counts = { accepted: 0, refused: 0, failed: 0 };
  let inFlight = 0;
  let sent = 0;
  const started = performance.now();
  const post = async (n: number) => {
    inFlight++;
    try {
      const res = await request(`${server.url}/api/webhooks/messages`, {
        method: "POST",
        dispatcher: agent,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ siteId, customerId, action: "soak.tick", payload: { n, at: new Date().toISOString(), pad: "x".repeat(200) } }),
      });
      await res.body.dump();
      if (res.statusCode === 202) counts.accepted++;
      else counts.refused++;
    } catch {
      counts.failed++;
    } finally {
      inFlight--;
    }
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (sent < due && inFlight < MAX_ENQUEUES_IN_FLIGHT) void post(sent++);
    // Behind by more than a second (server slower than the rate): drop the backlog, report the rate achieved.
    if (due - sent > RATE) sent = due - RATE;
  }, 20);
  return {
    counts,
    async stop() {
      clearInterval(timer);
      while (inFlight > 0) await sleep(20);
    },
  };
}

/** Reads the Logs and Queue as an operator and an integration would: pages signed in, APIs with the token, a few times a second. */
function startReading(server: WebServer, agent: Agent, token: string, cookie: string, siteId: string) {
  const counts = { ok: 0, failed: 0 };
  const reads: { path: string; auth: "cookie" | "token" }[] = [
    { path: "/webhooks/logs", auth: "cookie" },
    { path: "/api/webhooks/logs?limit=50", auth: "token" },
    { path: "/webhooks/queue", auth: "cookie" },
    { path: `/api/webhooks/logs?siteId=${siteId}&status=done&limit=100`, auth: "token" },
    { path: "/api/webhooks/queue?limit=50", auth: "token" },
    { path: `/webhooks/logs?siteId=${siteId}`, auth: "cookie" },
  ];
  let stopped = false;
  let next = 0;
  const loop = async () => {
    while (!stopped) {
      const read = reads[next++ % reads.length]!;
      try {
        const res = await request(`${server.url}${read.path}`, {
          dispatcher: agent,
          headers: read.auth === "cookie" ? { cookie } : { authorization: `Bearer ${token}` },
        });
        await res.body.dump();
        if (res.statusCode === 200) counts.ok++;
        else counts.failed++;
      } catch {
        counts.failed++;
      }
      await sleep(250);
    }
  };
  const done = loop();
  return {
    counts,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

function printSamples(samples: Sample[]) {
  const headers = ["t (s)", "RSS MB", "anon MB", "worker RSS MB", "heap used MB", "heap total MB", "deliveries/s", "enqueued/s", "reads/s", "queue depth", "load"];
  console.log(`| ${headers.join(" | ")} |`);
  console.log(`| ${headers.map((h) => "-".repeat(h.length)).join(" | ")} |`);
  for (const s of samples) {
    const cells = [s.atS, s.rssMb, s.anonMb, s.workerRssMb, s.heapUsedMb, s.heapTotalMb, s.deliveriesPerS, s.enqueuedPerS, s.readsPerS, s.queueDepth].map((v) => (Number.isFinite(v) ? Math.round(v) : "?"));
    console.log(`| ${[...cells, s.load.toFixed(2)].join(" | ")} |`);
  }
}

/** Rows judging one process's RSS after warm-up against its value at the end of it: flat is every sample within ±10 %. */
function rssFlatnessRows(results: ReturnType<typeof resultsTable>, who: string, after: Sample[], rssOf: (s: Sample) => number) {
  const warm = rssOf(after[0]!);
  const values = after.map(rssOf);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const last = values.at(-1)!;
  const pct = (v: number) => `${v >= warm ? "+" : ""}${(((v - warm) / warm) * 100).toFixed(1)} %`;
  results.row(`${who} RSS at the end of the warm-up (t=${Math.round(after[0]!.atS)} s)`, `${Math.round(warm)} MB`);
  results.row(`${who} RSS after warm-up: min / max`, `${Math.round(min)} / ${Math.round(max)} MB (${pct(min)} / ${pct(max)})`, "within ±10 %");
  results.row(`${who} RSS drift, end vs warm-up`, `${Math.round(last)} MB (${pct(last)})`, "within ±10 %");
  results.row(`${who} RSS flat (every sample after warm-up within ±10 %)`, min >= warm * 0.9 && max <= warm * 1.1 ? "yes" : "NO");
}

async function main() {
  console.error(`bench:soak: ${MINUTES} min at ${RATE} messages/s (warm-up ${WARMUP_MINUTES} min); load ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`);
  await withBuiltApp(async ({ database, startServer }) => {
    const receiver = await startLoopbackReceiver();
    const agent = new Agent({ connections: 32, keepAliveTimeout: 60_000 });
    const results = resultsTable();
    let stopWorker = (): Promise<number | null> => Promise.resolve(null);
    try {
      const customerId = await insertBenchCustomer(database.db);
      const siteId = await insertBenchSite(database.db, `${receiver.url}${RECEIVER_PATH}`, SITE_RPS, SITE_THREADS);
      const { token } = await createApiToken(database.db, { name: "bench:soak" }, null);
      const server = await startServer({
        WORKER_IN_SERVER: WORKER_MODE === "server" ? "true" : "false",
        ALLOW_PRIVATE_TARGETS: "127.0.0.0/8",
        APP_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        // The inspector (opened only by SIGUSR1) lets the bench collect garbage in the server twice.
        NODE_OPTIONS: `--inspect-port=127.0.0.1:0 ${process.env.BENCH_SOAK_NODE_OPTIONS ?? ""}`.trim(),
      });
      const worker: WorkerProcess | null =
        WORKER_MODE === "process" ? await startWorkerProcess(database.url, { APP_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ALLOW_PRIVATE_TARGETS: "127.0.0.0/8" }) : null;
      stopWorker = () => worker?.stop() ?? Promise.resolve(null);
      const serverPid = server.pid;
      const web = server;
      /** The live set: RSS and heap just after a full collection in the server. */
      const afterFullGc = async () => {
        const pid = serverProcessRss(serverPid)!.pid;
        await collectGarbageIn(pid, web.output);
        const heap = await scrapeServerHeap(web.url, token);
        return `RSS ${Math.round(serverProcessRss(serverPid)?.rssMb ?? NaN)} MB, heap used ${Math.round(heap?.heapUsedMb ?? NaN)} MB`;
      };
      const cookie = await signInCookie(server.url);
      const enqueuing = startEnqueuing(server, agent, token, siteId, customerId);
      const reading = startReading(server, agent, token, cookie, siteId);
      const samples: Sample[] = [];
      const started = performance.now();
      let last = { at: started, deliveries: 0, enqueued: 0, reads: 0 };
      while (performance.now() - started < MINUTES * 60_000) {
        await sleep(SAMPLE_MS - ((performance.now() - started) % SAMPLE_MS));
        const now = performance.now();
        const rss = serverProcessRss(serverPid);
        const heap = await scrapeServerHeap(server.url, token);
        const deliveries = receiver.arrivals(RECEIVER_PATH).length;
        const enqueued = enqueuing.counts.accepted;
        const reads = reading.counts.ok;
        const seconds = (now - last.at) / 1000;
        const sample: Sample = {
          atS: (now - started) / 1000,
          rssMb: rss?.rssMb ?? NaN,
          anonMb: rss?.anonMb ?? NaN,
          workerRssMb: (worker?.child.pid && processRss(worker.child.pid)?.rssMb) || NaN,
          heapUsedMb: heap?.heapUsedMb ?? NaN,
          heapTotalMb: heap?.heapTotalMb ?? NaN,
          deliveriesPerS: (deliveries - last.deliveries) / seconds,
          enqueuedPerS: (enqueued - last.enqueued) / seconds,
          readsPerS: (reads - last.reads) / seconds,
          queueDepth: await inFlightCount(database.db, siteId),
          load: os.loadavg()[0]!,
        };
        samples.push(sample);
        console.error(
          `  t=${Math.round(sample.atS)} s: RSS ${Math.round(sample.rssMb)} MB (heap ${Math.round(sample.heapUsedMb)}/${Math.round(sample.heapTotalMb)}), ` +
            `${Math.round(sample.deliveriesPerS)} deliveries/s, ${Math.round(sample.enqueuedPerS)} enqueued/s, ${sample.readsPerS.toFixed(1)} reads/s, queue ${sample.queueDepth}, load ${sample.load.toFixed(2)}`,
        );
        last = { at: now, deliveries, enqueued, reads };
      }
      await Promise.all([enqueuing.stop(), reading.stop()]);
      const elapsedS = (performance.now() - started) / 1000;
      const liveAtEnd = await afterFullGc();

      console.log(`\nbench:soak samples (every ${SAMPLE_MS / 1000} s; RSS of the server process from /proc, heap from its /api/metrics)`);
      printSamples(samples);
      const warmupIndex = samples.findIndex((s) => s.atS >= WARMUP_MINUTES * 60 - 1);
      const after = warmupIndex >= 0 ? samples.slice(warmupIndex) : [];
      const delivered = receiver.arrivals(RECEIVER_PATH).length;
      const lastSample = samples.at(-1);
      results.row("messages enqueued (202) / refused / failed", `${enqueuing.counts.accepted} / ${enqueuing.counts.refused} / ${enqueuing.counts.failed} in ${Math.round(elapsedS)} s`);
      results.row("enqueued/s achieved", `${(enqueuing.counts.accepted / elapsedS).toFixed(0)}`, `${RATE}`);
      results.row("deliveries/s achieved (receiver arrivals)", `${(delivered / elapsedS).toFixed(0)}`, `${RATE}`);
      results.row("reads (Logs, Queue: pages and API) ok / failed", `${reading.counts.ok} / ${reading.counts.failed}`);
      const stalled = samples.filter((s) => s.deliveriesPerS === 0 && s.queueDepth > 0).length;
      results.row("10 s samples with no delivery while messages were queued (stalls)", `${stalled} of ${samples.length}`, "0");
      results.row("queue depth at the end (lag)", `${lastSample?.queueDepth ?? "?"} messages`);
      if (after.length > 0) {
        rssFlatnessRows(results, "server", after, (s) => s.rssMb);
        if (worker) rssFlatnessRows(results, "worker process", after, (s) => s.workerRssMb);
        const heapAfter = after.map((s) => s.heapUsedMb).filter(Number.isFinite);
        if (heapAfter.length > 0) results.row("V8 heap used after warm-up: min / max", `${Math.round(Math.min(...heapAfter))} / ${Math.round(Math.max(...heapAfter))} MB`);
        // The heap's low points (just after V8's own major collections) follow the live set without
        // forcing a collection, which would shrink the heap and the RSS the samples are judged by.
        const lows = [];
        for (let i = 0; i < after.length; i += 12) lows.push(Math.min(...after.slice(i, i + 12).map((s) => s.heapUsedMb).filter(Number.isFinite)));
        results.row("V8 heap used, lowest in each 2 minutes after warm-up", lows.filter(Number.isFinite).map((v) => Math.round(v)).join(", ") + " MB");
        results.row("after a full GC in the server at the end", liveAtEnd);
      }
      const log = server.output().trim().split("\n");
      console.error(`\nserver log: ${log.length} lines; the last 30:\n${log.slice(-30).join("\n")}`);
      results.print(
        `bench:soak — ${MINUTES} min, ${RATE} messages/s through the API to one site (rps ${SITE_RPS}, threads ${SITE_THREADS}), Logs/Queue reads ~4/s, ` +
          `next start ${worker ? "and a worker process (npm run worker)" : "with its in-server worker"}, ${env.DATABASE_URL ? "DATABASE_URL" : "embedded PostgreSQL"}, ${os.availableParallelism()} cores; load = 1-min load average`,
      );
    } finally {
      await stopWorker();
      await agent.close();
      await receiver.close();
    }
  });
}

runBench(main);
