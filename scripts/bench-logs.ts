/**
 * Server time of the Logs and Queue reads (`npm run bench:logs`) against the seeded database
 * (`npm run db:seed -- --attempts 1000000`): each case runs the app's own functions
 * (listAttemptLogs, listInFlight, getMessage) ~20 times, then EXPLAIN (ANALYZE, BUFFERS) of the very
 * SQL they sent (captured by drizzle's logger). `--plans` prints the full plans; `--runs N` changes
 * the repetitions. Prints a Markdown table.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import * as schema from "../lib/db/schema";
import { startDatabase } from "../lib/db/start";
import { getMessage, listAttemptLogs, listInFlight } from "../lib/webhooks/read-messages";
import { attemptsPerMinute } from "../lib/webhooks/attempts-per-minute";
import { SEED_SITES } from "../lib/delivery/seed-deliveries";
import { readSiteHealth, readSiteSparklines } from "../lib/trusted-sites/site-health";
import { chartQueries, runChartQuery } from "./bench-logs/chart-queries";
import { findFixtures } from "./bench-logs/fixtures";
import { explain, fmt, time, type CapturedQuery, type PlanSummary, type Timing } from "./bench-logs/measure";
import { runCli } from "./cli";

const { values } = parseArgs({ options: { plans: { type: "boolean" }, runs: { type: "string" }, only: { type: "string" } } });
const RUNS = Number(values.runs ?? 20);

interface Result extends Timing {
  name: string;
  plans: PlanSummary[];
}

await runCli(async () => {
  const database = await startDatabase();
  const sent: CapturedQuery[] = [];
  const db = drizzle(database.sql, { schema, logger: { logQuery: (sql, params) => void sent.push({ sql, params }) } });
  /** The statements `run` sends. */
  const capture = async (run: () => Promise<unknown>) => {
    sent.length = 0;
    await run();
    return [...sent];
  };
  try {
    const f = await findFixtures(database.sql);
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const logs = (query: Record<string, unknown>) => () => listAttemptLogs(db, query);
    const cases: [string, () => Promise<unknown>][] = [
      ["first page", logs({})],
      ["deep page (cursor 25 days back)", logs({ cursor: f.cursor25DaysAgo })],
      ["status=failed", logs({ status: "failed" })],
      ["status=failed, deep", logs({ status: "failed", cursor: f.cursor25DaysAgo })],
      ["status=queued (no rows)", logs({ status: "queued" })],
      ["site (largest)", logs({ siteId: f.sites.largest })],
      ["site (smallest), deep", logs({ siteId: f.sites.smallest, cursor: f.cursor25DaysAgo })],
      ["customer (largest)", logs({ customerId: f.customers.largest })],
      ["customer (typical)", logs({ customerId: f.customers.typical })],
      ["action (rarest)", logs({ action: f.rarestAction })],
      ["site+status=done", logs({ siteId: f.sites.largest, status: "done" })],
      ["site+status=failed (healthiest site)", logs({ siteId: f.sites.healthiest, status: "failed" })],
      ["site+status=failed, deep", logs({ siteId: f.sites.healthiest, status: "failed", cursor: f.cursor25DaysAgo })],
      ["site+status+customer (typical)", logs({ siteId: f.sites.largest, status: "done", customerId: f.customers.typical })],
      ["site+status=failed+customer (largest)", logs({ siteId: f.sites.healthiest, status: "failed", customerId: f.customers.largest })],
      ["customer (largest)+status=failed", logs({ customerId: f.customers.largest, status: "failed" })],
      ["customer (typical)+site (smallest)", logs({ customerId: f.customers.typical, siteId: f.sites.smallest })],
      ["action (rarest)+status=failed", logs({ action: f.rarestAction, status: "failed" })],
      ["action+site+status=failed", logs({ action: f.rarestAction, siteId: f.sites.healthiest, status: "failed" })],
      ["site+action never sent to it", logs({ siteId: f.siteNamed("Warehouse"), action: "invoice.paid" })],
      ["site+action never sent to it, 1 day", logs({ siteId: f.siteNamed("Warehouse"), action: "invoice.paid", from: days(3), to: days(2) })],
      ["site+status=resent (healthiest site)", logs({ siteId: f.sites.healthiest, status: "resent" })],
      ["action+status=resent", logs({ action: "order.shipped", status: "resent" })],
      ["customer (largest)+site+action never sent", logs({ customerId: f.customers.largest, siteId: f.siteNamed("Warehouse"), action: "invoice.paid" })],
      ["time range (1 day, 3 days back)", logs({ from: days(3), to: days(2) })],
      ["time range (1 day)+status=failed", logs({ from: days(3), to: days(2), status: "failed" })],
      ["time range (1 day)+site+status=failed", logs({ from: days(3), to: days(2), siteId: f.sites.healthiest, status: "failed" })],
      ["time range (1 h)+customer (typical)", logs({ from: days(3), to: days(3 - 1 / 24), customerId: f.customers.typical })],
      ["chart (app): last 7 days", () => attemptsPerMinute(db, { from: days(7) })],
      ["chart (app): last 7 days, site (largest)", () => attemptsPerMinute(db, { from: days(7), siteId: f.sites.largest })],
      ["chart (app): last 24 hours", () => attemptsPerMinute(db, { from: days(1) })],
      ["chart (app): last 7 days, customer (largest)", () => attemptsPerMinute(db, { from: days(7), customerId: f.customers.largest })],
      ["site health (largest site)", () => readSiteHealth(db, f.sites.largest)],
      ["sparklines (every site)", () => readSiteSparklines(db, SEED_SITES.map((s) => f.siteNamed(s.name)))],
      ["queue (in flight)", () => listInFlight(db, {})],
      ["message with 5 attempts", () => getMessage(db, f.failedMessageId)],
    ];
    const selected = cases.filter(([name]) => !values.only || name.includes(values.only));
    const results: Result[] = [];
    for (const [name, run] of selected) {
      const timing = await time(run, RUNS);
      const plans = [];
      for (const query of await capture(run)) plans.push(await explain(database.sql, query));
      results.push({ name, ...timing, plans });
    }
    if (!values.only) results.push(await followPages(db, database.sql, capture));
    for (const query of chartQueries(f.sites.largest).filter((q) => !values.only || q.name.includes(values.only))) {
      const timing = await time(() => runChartQuery(database.sql, query), Math.min(RUNS, 10), 1);
      results.push({ name: query.name, ...timing, plans: [await explain(database.sql, query)] });
    }
    print(results, f.attempts);
  } finally {
    await database.close();
    await database.embedded?.stop();
  }
});

/** Follows nextCursor from the first page for 1,000 pages of 50, as a user paging on would. */
async function followPages(
  db: Parameters<typeof listAttemptLogs>[0],
  sql: Parameters<typeof explain>[0],
  capture: (run: () => Promise<unknown>) => Promise<CapturedQuery[]>,
): Promise<Result> {
  const ms: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const start = performance.now();
    const result: Awaited<ReturnType<typeof listAttemptLogs>> = await listAttemptLogs(db, cursor ? { cursor } : {});
    ms.push(performance.now() - start);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  ms.sort((a, b) => a - b);
  const [query] = await capture(() => listAttemptLogs(db, cursor ? { cursor } : {}));
  return {
    name: `pages 1–${ms.length} followed by cursor (plan: page ${ms.length + 1})`,
    medianMs: ms[Math.floor(ms.length / 2)]!,
    p95Ms: ms[Math.ceil(ms.length * 0.95) - 1]!,
    plans: [await explain(sql, query!)],
  };
}

function print(results: Result[], attempts: number) {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");
  console.log(`\n${fmt(attempts)} attempts; ${RUNS} runs per query; load average ${load} on ${os.cpus().length} cores\n`);
  console.log("| query | median ms | p95 ms | EXPLAIN ms | buffers | attempt rows read | plan |");
  console.log("|---|---:|---:|---:|---:|---:|---|");
  for (const r of results) {
    const exec = r.plans.map((p) => p.executionMs.toFixed(1)).join(" + ");
    const read = r.plans.reduce((n, p) => n + p.attemptRowsRead, 0);
    const buffers = r.plans.reduce((n, p) => n + p.buffers, 0);
    const plan = r.plans.map((p) => `${p.scans}${p.sorted ? "; sort" : ""}`).join(" / ");
    console.log(`| ${r.name} | ${r.medianMs.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${exec} | ${fmt(buffers)} | ${fmt(read)} | ${plan} |`);
  }
  if (values.plans) {
    for (const r of results) for (const p of r.plans) console.log(`\n### ${r.name}\n${p.text}`);
  }
}
