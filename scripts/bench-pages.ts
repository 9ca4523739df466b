/**
 * Warm page times (`npm run bench:pages`): the built app (`next start`, no worker in the server)
 * against its own embedded PostgreSQL (or DATABASE_URL) holding a seeded delivery history of
 * BENCH_ATTEMPTS attempts (default 1,000,000; `lib/delivery/seed-deliveries.ts`). Every backoffice page is
 * requested signed in, once to warm up and then BENCH_RUNS times (default 5) one after another; the
 * time is until the whole document has arrived (streamed parts included), as a browser's load needs
 * it. Prints median, min and max per page. A page that does not answer 200 fails the bench.
 */
import os from "node:os";
import { randomBytes } from "node:crypto";
import { createApiToken } from "../lib/api-tokens/manage-api-tokens";
import type { Actor } from "../lib/backoffice-auth/actor";
import { seedCustomers } from "../lib/db/seed";
import { seedDeliveryHistory } from "../lib/delivery/seed-deliveries";
import { readEnv } from "../lib/env";
import { createWorkflow } from "../lib/workflows/save-workflow";
import { setWorkflowStatus } from "../lib/workflows/set-workflow-status";
import { signInCookie, type WebServer } from "../tests/helpers/web-server";
import { insertBenchSite } from "./bench/bench-database";
import { runBench, withBuiltApp } from "./bench/built-app";
import { percentile } from "./bench/loopback-receiver";
import { resultsTable } from "./bench/results-table";
import { findFixtures } from "./bench-logs/fixtures";

const env = readEnv();
const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** BENCH_DAYS: the seeded history's span (default 30 days; 89 gives a full retention's day partitions). */
const DAYS = process.env.BENCH_DAYS ? Number(process.env.BENCH_DAYS) : undefined;
const actor: Actor = { kind: "user", userId: "bench", email: "bench@example.com" };
const results = resultsTable();

async function timePage(server: WebServer, cookie: string, path: string): Promise<number[]> {
  const once = async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}${path}`, { headers: { cookie }, redirect: "manual" });
    const body = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    if (body.includes("Database unavailable")) throw new Error(`${path} said "Database unavailable"`);
    if (body.includes("These filters are not valid")) throw new Error(`${path}: the Logs refused its filters`);
    return ms;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  return times;
}

/** One run of the bench workflow, through the events API as a platform would start it; its message stays queued (no worker). */
async function startBenchRun(server: WebServer, token: string): Promise<string> {
  const res = await fetch(`${server.url}/api/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ event: "point_add", customer: { id: "bench-pages-customer", name: "Bench Customer" }, data: { points: 5 } }),
  });
  const body = (await res.json()) as { runs?: { id: string }[] };
  if (res.status !== 202 || !body.runs?.[0]) throw new Error(`POST /api/events answered ${res.status}: ${JSON.stringify(body)}`);
  return body.runs[0].id;
}

async function main() {
  console.error(`bench: load ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores; seeding ${ATTEMPTS.toLocaleString("en")} attempts`);
  await withBuiltApp(async ({ database, startServer }) => {
    const seedStarted = performance.now();
    await seedCustomers(database.db);
    await seedDeliveryHistory(database.db, { attempts: ATTEMPTS, days: DAYS });
    await database.sql`vacuum analyze`;
    console.error(`bench: seeded in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);
    const f = await findFixtures(database.sql);
    const siteId = await insertBenchSite(database.db, "http://127.0.0.1:9/bench-pages", 10, 5);
    const workflow = await createWorkflow(database.db, actor, {
      name: "Bench: points to the receiver",
      trigger: { event: "point_add" },
      graph: {
        nodes: [{ id: "notify", kind: "webhook-message", config: { siteId, payload: { points: "{{ event.points }}" } } }],
        edges: [{ source: "trigger", sourceHandle: "next", target: "notify" }],
      },
    });
    await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" });
    const { token } = await createApiToken(database.db, { name: "bench:pages" }, null);
    const server = await startServer({ WORKER_IN_SERVER: "false", APP_ENCRYPTION_KEY: randomBytes(32).toString("base64") });
    const cookie = await signInCookie(server.url);
    const run = await startBenchRun(server, token);
    const day = 86_400_000;
    const since = (ms: number) => encodeURIComponent(new Date(Date.now() - ms).toISOString());
    const pages: [string, string][] = [
      ["Trusted sites (list)", "/trusted-sites"],
      ["Trusted site (largest seeded)", `/trusted-sites/${f.sites.largest}`],
      ["Edit trusted site", `/trusted-sites/${f.sites.largest}/edit`],
      ["Add new site", "/trusted-sites/new"],
      ["Logs (default: last hour chart, first page)", "/webhooks/logs"],
      ["Logs, last 7 days", `/webhooks/logs?from=${since(7 * day)}`],
      ["Logs, last 30 days", `/webhooks/logs?from=${since(30 * day)}`],
      ["Logs, one site, last 7 days", `/webhooks/logs?siteId=${f.sites.largest}&from=${since(7 * day)}`],
      ["Logs, status failed", "/webhooks/logs?status=failed"],
      ["Logs, one customer", `/webhooks/logs?customerId=${f.customers.largest}`],
      ["Queue", "/webhooks/queue"],
      ["Message (5 attempts)", `/webhooks/messages/${f.failedMessageId}`],
      ["Customers", "/customers"],
      ["Customers, search", "/customers?q=seed"],
      ["Customer (most messages)", `/customers/${f.customers.largest}`],
      ["Workflows", "/workflows"],
      ["Workflow editor", `/workflows/${workflow.id}`],
      ["New workflow", "/workflows/new"],
      ["Workflow run (waiting for its message)", `/workflows/${workflow.id}/runs/${run}`],
      ["API tokens", "/settings/api-tokens"],
      ["OAuth result", `/oauth-result?problem=access_denied&site=${siteId}`],
      ["Sign in (signed out)", "/sign-in"],
    ];
    for (const [name, path] of pages) {
      const times = await timePage(server, path === "/sign-in" ? "" : cookie, path);
      results.row(name, `median ${Math.round(percentile(times, 50))} ms (${Math.round(Math.min(...times))}–${Math.round(Math.max(...times))})`);
    }
  });
  results.print(
    `bench:pages — warm page times, whole document, ${RUNS} runs after one warm-up, ${ATTEMPTS.toLocaleString("en")} attempts seeded over ${DAYS ?? 30} days, ` +
      `next start, ${env.DATABASE_URL ? "DATABASE_URL" : "embedded PostgreSQL"}, ${os.availableParallelism()} cores; load = 1-min load average when measured`,
  );
}

runBench(main);
