/**
 * Customer events into workflow runs (`npm run bench:events`).
 *
 * The built app as users run it (`next start`, its local worker and workflow continuations in the
 * server; `npm run build` first when there is no build) against its own embedded PostgreSQL (or
 * DATABASE_URL), with one active workflow: trigger → Webhook message to a loopback receiver in this
 * process. Phases: accepted events/s into `POST /api/events` (BENCH_EVENTS, default 2,000, with 20
 * in flight, customers found or created by their external id), then idle latency event → receiver
 * over 50 events one at a time. Numbers on a shared machine are only as good as its load.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { createApiToken } from "../lib/api-tokens/manage-api-tokens";
import type { Actor } from "../lib/backoffice-auth/actor";
import { readEnv } from "../lib/env";
import { createWorkflow } from "../lib/workflows/save-workflow";
import { setWorkflowStatus } from "../lib/workflows/set-workflow-status";
import type { WebServer } from "../tests/helpers/web-server";
import { insertBenchSite } from "./bench/bench-database";
import { runBench, withBuiltApp, type BuiltApp } from "./bench/built-app";
import { percentile, preciseNow, startLoopbackReceiver, tenth, type LoopbackReceiver } from "./bench/loopback-receiver";
import { resultsTable } from "./bench/results-table";

const env = readEnv();
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const IN_FLIGHT = 20;
const LATENCY_EVENTS = 50;
const EVENT_NAME = "point_add";
const actor: Actor = { kind: "user", userId: "bench", email: "bench@example.com" };

const load = () => os.loadavg()[0]!.toFixed(2);
const results = resultsTable();
const row = results.row;

async function until(check: () => boolean, timeoutMs: number, what: string, pollMs = 1) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function poster(server: WebServer, token: string) {
  return async (i: number, customer: string): Promise<number> => {
    const res = await fetch(`${server.url}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ event: EVENT_NAME, customer: { id: customer, name: `Bench ${customer}` }, data: { points: i } }),
    });
    await res.arrayBuffer();
    return res.status;
  };
}

async function measureThroughput(post: ReturnType<typeof poster>, receiver: LoopbackReceiver) {
  const statuses = new Map<number, number>();
  let next = 0;
  const before = receiver.arrivals("/events").length;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < EVENTS; i = next++) {
        // 500 distinct customers: most events find theirs, the first of each creates it.
        const status = await post(i, `bench-${i % 500}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const acceptedMs = Date.now() - started;
  const accepted = statuses.get(202) ?? 0;
  row(
    `1. POST /api/events, ${EVENTS} events, ${IN_FLIGHT} in flight`,
    `${Math.round((accepted / acceptedMs) * 1000)} accepted events/s (${[...statuses].map(([s, n]) => `${n}× ${s}`).join(", ")})`,
  );
  await until(() => receiver.arrivals("/events").length - before >= accepted, 240_000, "every run's message to arrive", 20);
  const drainedMs = Date.now() - started;
  row(`2. …until every run's message reached the receiver`, `${(drainedMs / 1000).toFixed(1)} s = ${Math.round((accepted / drainedMs) * 1000)} events/s end to end`);
}

async function measureIdleLatency(post: ReturnType<typeof poster>, receiver: LoopbackReceiver) {
  const latencies: number[] = [];
  const customer = `bench-latency-${randomBytes(3).toString("hex")}`;
  await new Promise((r) => setTimeout(r, 1_000));
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    const seen = receiver.arrivals("/events").length;
    const before = preciseNow();
    const status = await post(i, customer);
    if (status !== 202) throw new Error(`POST /api/events answered ${status}`);
    await until(() => receiver.arrivals("/events").length > seen, 15_000, "a latency event's message");
    latencies.push(receiver.arrivals("/events")[seen]! - before);
    await new Promise((r) => setTimeout(r, 20));
  }
  row(
    `3. idle latency POST /api/events → receiver (${LATENCY_EVENTS} one at a time)`,
    `p50 ${tenth(percentile(latencies, 50))} ms, p99 ${tenth(percentile(latencies, 99))} ms, max ${tenth(Math.max(...latencies))} ms`,
    "p99 < 50 ms",
  );
}

async function main() {
  console.error(`bench: load ${load()} on ${os.availableParallelism()} cores; starting PostgreSQL, receiver and the app (next start)`);
  await withBuiltApp(async (app) => {
    const receiver = await startLoopbackReceiver();
    try {
      await measureEvents(app, receiver);
    } finally {
      await receiver.close();
    }
  });
  printTable();
}

async function measureEvents({ database, startServer }: BuiltApp, receiver: LoopbackReceiver) {
  const siteId = await insertBenchSite(database.db, `${receiver.url}/events`, 100_000, 100);
  const workflow = await createWorkflow(database.db, actor, {
    name: "Bench: points to the receiver",
    trigger: { event: EVENT_NAME },
    graph: {
      nodes: [{ id: "notify", kind: "webhook-message", config: { siteId, payload: { points: "{{ event.points }}", customer: "{{ customer.externalId }}" } } }],
      edges: [{ source: "trigger", sourceHandle: "next", target: "notify" }],
    },
  });
  await setWorkflowStatus(database.db, actor, workflow.id, { status: "active" });
  const { token } = await createApiToken(database.db, { name: "bench:events" }, null);
  const server = await startServer({
    WEBHOOK_ENGINE: "local",
    ALLOW_PRIVATE_TARGETS: "127.0.0.1",
    APP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  });
  const post = poster(server, token);
  // Warm-up: the first requests compile nothing in production, but open connections and JIT the route.
  for (let i = 0; i < 20; i++) await post(i, "bench-warm-up");
  await until(() => receiver.arrivals("/events").length >= 20, 30_000, "the warm-up messages", 20);
  await measureThroughput(post, receiver);
  await measureIdleLatency(post, receiver);
}

function printTable() {
  results.print(
    `bench:events — the built app (next start, local engine, worker in the server), one active workflow ` +
      `(trigger → Webhook message), ${env.DATABASE_URL ? "DATABASE_URL" : "embedded PostgreSQL"}, ${os.availableParallelism()} cores; load = 1-min load average when measured`,
  );
}

runBench(main);
