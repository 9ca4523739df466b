/**
 * Server memory under hostile input (`npm run bench:fuzz-memory`): the built app (`next start`, as
 * tests/e2e/hostile-input.test.ts starts it) against its own embedded PostgreSQL, sent
 * BENCH_FUZZ_ROUNDS rounds (default 6) of the same seeded hostile requests that test sends
 * (tests/helpers/hostile-requests.ts; 5,000 per round, 16 at a time, a new seed each round). After
 * each round: the server process's RSS (from /proc) and V8 heap (from its /api/metrics), then a full
 * garbage collection through the server's inspector (scripts/bench/inspector-gc.ts) and the same
 * figures again. Growth that a collection takes back, or that stops after a few rounds, is V8 sizing
 * its heap; growth that survives collections round after round is a leak. The server also writes a
 * heap snapshot on SIGUSR2 (`kill -USR2 <pid>`, into BENCH_FUZZ_SNAPSHOT_DIR, default the system's
 * temporary folder) for a closer look in Chrome DevTools.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createApiToken } from "../lib/api-tokens/manage-api-tokens";
import { protectedApiRoutes } from "../tests/helpers/api-routes";
import { insertCustomer, insertSite } from "../tests/helpers/delivery-fixtures";
import { hostileRequest, prng, type HostileRequest } from "../tests/helpers/hostile-requests";
import { signInCookie } from "../tests/helpers/web-server";
import { runBench, withBuiltApp } from "./bench/built-app";
import { collectGarbageIn } from "./bench/inspector-gc";
import { resultsTable } from "./bench/results-table";
import { scrapeServerHeap, serverProcessRss } from "./bench/server-memory";

const ROUNDS = Number(process.env.BENCH_FUZZ_ROUNDS ?? 6);
const REQUESTS_PER_ROUND = Number(process.env.BENCH_FUZZ_REQUESTS ?? 5_000);
const CONCURRENCY = 16;
const SEED = 20261201;
/** BENCH_FUZZ_SNAPSHOTS=1: a heap snapshot after the first and the last round's collection, for scripts/bench/heap-snapshot-diff.ts. */
const SNAPSHOTS = process.env.BENCH_FUZZ_SNAPSHOTS === "1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks the server for a heap snapshot (SIGUSR2, `--heapsnapshot-signal`) and resolves with its path once it is written. */
async function heapSnapshot(serverPid: number, dir: string): Promise<string> {
  const before = new Set(await fs.readdir(dir));
  process.kill(serverPid, "SIGUSR2");
  const deadline = Date.now() + 300_000;
  let size = -1;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const file = (await fs.readdir(dir)).find((f) => !before.has(f) && f.endsWith(".heapsnapshot") && f.includes(`.${serverPid}.`));
    if (!file) continue;
    // Complete once its size stops changing.
    const now = (await fs.stat(path.join(dir, file))).size;
    if (now > 0 && now === size) return path.join(dir, file);
    size = now;
  }
  throw new Error("the server wrote no heap snapshot within 5 minutes");
}

async function main() {
  console.error(`bench:fuzz-memory: ${ROUNDS} × ${REQUESTS_PER_ROUND} hostile requests; load ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`);
  const snapshotDir = process.env.BENCH_FUZZ_SNAPSHOT_DIR ?? os.tmpdir();
  const results = resultsTable();
  await withBuiltApp(async ({ database, startServer }) => {
    const { token } = await createApiToken(database.db, { name: "fuzz" }, null);
    const customerId = await insertCustomer(database.db);
    const draftSiteId = await insertSite(database.db, { url: "https://receiver.example/hooks", status: "draft" });
    const server = await startServer({
      NODE_OPTIONS: `--inspect-port=127.0.0.1:0 --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`,
    });
    const sessionCookie = await signInCookie(server.url);
    const serverPid = serverProcessRss(server.pid)!.pid;
    const routes = [...protectedApiRoutes(), { method: "GET", path: "/api/trusted-sites/00000000-0000-4000-8000-000000000000/oauth/callback" }];
    const send = async (request: HostileRequest) => {
      const headers: Record<string, string> =
        request.auth === "token" ? { authorization: `Bearer ${token}` } : { cookie: sessionCookie, origin: server!.url };
      if (request.body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(server!.url + request.path, { method: request.method, headers, body: request.body, redirect: "manual" });
      await response.arrayBuffer();
      return response.status;
    };
    const figures = async () => {
      const rss = serverProcessRss(server!.pid);
      const heap = await scrapeServerHeap(server!.url, token);
      return `RSS ${Math.round(rss?.rssMb ?? NaN)} MB (anon ${Math.round(rss?.anonMb ?? NaN)}), heap used ${Math.round(heap?.heapUsedMb ?? NaN)} / total ${Math.round(heap?.heapTotalMb ?? NaN)} MB, external ${Math.round(heap?.externalMb ?? NaN)} MB`;
    };
    results.row("after start-up, before any request", await figures());
    await collectGarbageIn(serverPid, server.output);
    results.row("after start-up, after a full GC", await figures());
    for (let round = 1; round <= ROUNDS; round++) {
      const random = prng(SEED + round - 1);
      const requests = Array.from({ length: REQUESTS_PER_ROUND }, () => hostileRequest(random, routes, { draftSiteId, customerId }));
      const statuses = new Map<number, number>();
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, serverProcessRss(server!.pid)?.rssMb ?? 0)), 1_000);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests.length) {
            const status = await send(requests[next++]!).catch(() => 0);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const fiveHundreds = [...statuses].filter(([s]) => s >= 500 || s === 0).reduce((n, [, c]) => n + c, 0);
      results.row(`round ${round} (${(round * REQUESTS_PER_ROUND).toLocaleString("en")} requests, ${seconds.toFixed(0)} s, ${fiveHundreds} 5xx/failed): peak RSS`, `${Math.round(peak)} MB`);
      results.row(`round ${round}: at its end`, await figures());
      await collectGarbageIn(serverPid, server.output);
      results.row(`round ${round}: after a full GC`, await figures());
      if (SNAPSHOTS && (round === 1 || round === ROUNDS)) console.error(`bench:fuzz-memory: heap snapshot after round ${round}: ${await heapSnapshot(serverPid, snapshotDir)}`);
    }
  });
  results.print(
    `bench:fuzz-memory — ${ROUNDS} × ${REQUESTS_PER_ROUND} seeded hostile requests (${CONCURRENCY} at a time), next start with its in-server worker, ` +
      `${os.availableParallelism()} cores; RSS of the server process from /proc, heap from its /api/metrics; load = 1-min load average`,
  );
}

runBench(main);
