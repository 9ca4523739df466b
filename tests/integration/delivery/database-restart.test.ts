import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/lib/db/client";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded-postgres";
import { migrateDatabase } from "@/lib/db/migrate";
import { isDatabaseOutage } from "@/lib/delivery/database-outage";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { attemptRows, insertCustomer, insertSite, messageRow, waitFor } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";
import { freePort } from "../../helpers/web-server";

// A PostgreSQL of its own, stopped and started again on the same port while messages flow.
let dir: string;
let port: number;
let server: EmbeddedDatabase;
let database: DatabaseHandle;
let worker: LocalWorker | undefined;
let receiver: WebhookReceiver;
const log: string[] = [];
/** The server's own log lines (its shutdown and start-up take seconds under load), printed with a failure. */
const serverLog: string[] = [];
const logServer = (line: string) => serverLog.push(`${new Date().toISOString()} ${line.trimEnd()}`);
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-restart-pg-"));
  port = await freePort();
  server = await startEmbeddedPostgres(dir, logServer, { port });
  await migrateDatabase(server.url);
  // A connection opened while the server shuts down or starts can hang until its connect timeout:
  // under load (3 CPU hogs, 2026-12-04) the old server's exit waited 10 s for one such connection, and
  // a record waited 10 s for CONNECT_TIMEOUT on the restarted server. 10 s (the default) would
  // decide the test's timings; 2 s bounds that hang, so the bounds below are the worker's.
  database = openDatabase(server.url, { connectTimeoutSeconds: 2 });
  receiver = await startWebhookReceiver(() => ({ status: 200, delayMs: 20 }));
});
afterAll(async () => {
  await worker?.stop(5_000);
  await receiver?.close();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.close().catch(() => {});
  await server?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("a PostgreSQL restart", () => {
  // One retry: in about 1 run of 6 under the full suite (CI, 2026-12-02) the messages took longer than 20 s
  // after the restart (all done soon after): connections hung for the connect timeout (above). A failure
  // prints the worker's and the server's logs and what the checks saw. Two failures in a row still fail.
  // Its own timeout covers a slow stop and start under load: the suite's 30 s once cut a try short while
  // it still ran, and its retry then shared the worker log and the database with it.
  it("the worker reconnects by itself and every message still ends done", { retry: 1, timeout: 90_000 }, async () => {
    // A retry starts clean: no worker, arrivals or log lines of the failed try.
    await worker?.stop(5_000);
    worker = undefined;
    receiver.arrivals.length = 0;
    log.length = 0;
    serverLog.length = 0;
    const customerId = await insertCustomer(database.db);
    const siteId = await insertSite(database.db, { url: receiver.url, rps: 20, threads: 4 });
    worker = startLocalWorker({
      ...database,
      box: createSecretBox(randomBytes(32)),
      allowPrivateTargets: "127.0.0.1",
      retryIntervalMs: 300,
      claimTtlMs: 3_000,
      purgeEveryMs: 0,
      log: (line) => log.push(`${new Date().toISOString()} ${line}`),
    });
    const before = [];
    for (let i = 0; i < 40; i++) before.push((await enqueue(database.db, { siteId, customerId, action: "a", payload: { i } })).id);
    await waitFor(() => receiver.arrivals.length >= 10, 10_000, "deliveries under way");

    log.push(`${new Date().toISOString()} (test) stopping the server`);
    await server.stop();
    log.push(`${new Date().toISOString()} (test) server stopped`);
    await new Promise((r) => setTimeout(r, 1_000));
    server = await startEmbeddedPostgres(dir, logServer, { port });
    const restartedAt = Date.now();

    // Announced after the restart: only a re-established LISTEN (or claim loop) can pick these up quickly.
    const after = [];
    // The caller, like a workflow trigger answered 5xx, tries again when its pooled connection was
    // one the restart had closed (nothing was written then).
    const enqueueAfterRestart = async (i: number): Promise<string> => {
      for (;;) {
        try {
          return (await enqueue(database.db, { siteId, customerId, action: "b", payload: { i } })).id;
        } catch (error) {
          if (!isDatabaseOutage(error)) throw error;
        }
      }
    };
    for (let i = 0; i < 10; i++) after.push(await enqueueAfterRestart(i));
    const all = [...before, ...after];
    const checks: string[] = [];
    const report = () =>
      console.error(`restarted at ${new Date(restartedAt).toISOString()}\nworker log:\n${log.join("\n")}\nserver log:\n${serverLog.join("\n")}\nchecks (first and last 10):\n${[...checks.slice(0, 10), "…", ...checks.slice(-10)].join("\n")}`);
    try {
      await waitFor(
        async () => {
          // This pool is the worker's too: right after the restart a read can still meet the outage.
          const rows = await Promise.all(all.map((id) => messageRow(database.db, id))).catch((error: unknown) => {
            if (isDatabaseOutage(error)) {
              checks.push(`${new Date().toISOString()} read failed: ${(error as Error).message}`);
              return null;
            }
            throw error;
          });
          if (rows) checks.push(`${new Date().toISOString()} ${rows.filter((m) => m.status !== "done" && m.status !== "failed").length} left`);
          return rows?.every((m) => m.status === "done" || m.status === "failed");
        },
        20_000,
        "every message to finish",
      );
      // Counted from the server's return, the enqueues above included: at most ~40 messages are left at
      // 20 rps (2 s). Reconnect back-offs (postgres.js waited up to 20 s by default) would show here.
      // Not tighter: beside 3 CPU hogs, connections to the restarted server hung for the 2 s connect
      // timeout several times in a row (the server logging "invalid length of startup packet" as each
      // gave up), and tries took 10.5–12.3 s (2026-12-04).
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      const rows = await Promise.all(all.map((id) => messageRow(database.db, id)));
      expect(rows.filter((m) => m.status !== "done")).toEqual([]);
      expect(new Set(receiver.arrivals.map((a) => a.headers["webhook-id"]))).toEqual(new Set(all));
      expect(log.some((line) => /unreachable|failed/.test(line))).toBe(true);
      // No thread slot is left held for a message of a claim whose answer the restart cut off.
      const leases = await database.sql`select message_id, expires_at from site_leases where site_id = ${siteId} and expires_at > clock_timestamp()`;
      expect(leases).toEqual([]);
    } catch (error) {
      report();
      throw error;
    }
  });
});

/** Reads that may meet the outage right after a restart (the pool's connections were closed) try again. */
async function afterRestart<T>(read: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (!isDatabaseOutage(error)) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function restartDatabase(downMs: number) {
  await server.stop();
  await new Promise((r) => setTimeout(r, downMs));
  server = await startEmbeddedPostgres(dir, logServer, { port });
}

function startWorker(claimTtlMs: number) {
  return startLocalWorker({
    ...database,
    box: createSecretBox(randomBytes(32)),
    allowPrivateTargets: "127.0.0.1",
    retryIntervalMs: 300,
    claimTtlMs,
    purgeEveryMs: 0,
  });
}

describe("an attempt and the database going away", () => {
  it("a send outlasting an outage longer than its claim: the worker is not taken off it, and records the answer itself", async () => {
    await worker?.stop(5_000);
    // The answer comes after the database is back and the claim has lapsed: a claim pass run on the
    // reconnect would otherwise take the message over and count the attempt as interrupted.
    const slow = await startWebhookReceiver(() => ({ status: 200, delayMs: 8_000 }));
    receivers.push(slow);
    const customerId = await afterRestart(() => insertCustomer(database.db));
    const siteId = await insertSite(database.db, { url: slow.url, timeoutMs: 15_000 });
    // Renewed every 1.5 s: after the reconnect a claim pass (its outage back-off is at most 1 s) can
    // come before the renewal, as it does with the default 30 s claims.
    worker = startWorker(4_500);
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await waitFor(() => slow.arrivals.length === 1, 10_000, "the send");

    // Down past the claim's 4.5 s: the claim has lapsed when the database is back.
    await restartDatabase(5_000);
    const message = await waitFor(
      () => afterRestart(async () => {
        const row = await messageRow(database.db, id);
        return row.status === "done" || row.status === "failed" ? row : null;
      }),
      20_000,
      "the message to finish",
    );

    expect(message).toMatchObject({ status: "done", attempts: 1 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => [a.status, a.responseCode, a.error])).toEqual([["done", 200, null]]);
    expect(slow.arrivals).toHaveLength(1);
  });

  it("an attempt whose holder never came back after a database restart is recorded as the database being away, not as a stopped worker", async () => {
    await worker?.stop(5_000);
    const healthy = await startWebhookReceiver(() => ({ status: 200 }));
    receivers.push(healthy);
    const customerId = await afterRestart(() => insertCustomer(database.db));
    const siteId = await insertSite(database.db, { url: healthy.url });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    // What a holder (a worker, an Inngest step) has written when its send is under way: the claim and the start.
    await database.sql`update webhook_messages set locked_by = ${randomUUID()}, locked_until = clock_timestamp() + interval '300 milliseconds', attempts = 1,
      attempt_started_at = clock_timestamp() where id = ${id}`;

    await restartDatabase(500);
    worker = startWorker(3_000);
    const message = await waitFor(
      () => afterRestart(async () => {
        const row = await messageRow(database.db, id);
        return row.status === "done" ? row : null;
      }),
      15_000,
      "the message to be delivered",
    );

    expect(message).toMatchObject({ status: "done", attempts: 2 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual(["resent", "done"]);
    expect(attempts[0]!.error).toMatch(/^the database was unreachable during this attempt \(it restarted\)/);
    expect(attempts[0]!.error).not.toMatch(/worker stopped/);
    expect(healthy.arrivals).toHaveLength(1);
  });
});
