/**
 * The peer the product is measured against: a minimal webhook sender on a stock job queue
 * (graphile-worker 0.17), in its own process like the worker. Each job is one POST with undici
 * `request` and one attempt row; a non-2xx answer fails the job, so graphile-worker retries it.
 * No pacing, no thread limits, no claim tokens: what 60 lines get you.
 * Usage: graphile-peer.ts <databaseUrl> <receiverUrl> <concurrency>; prints "ready" once it takes jobs.
 */
import { Logger, run, type Task } from "graphile-worker";
import { Agent, request } from "undici";

const [connectionString, receiverUrl, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const dispatcher = new Agent();

const deliver: Task = async (payload, helpers) => {
  const { round, n } = payload as { round: number; n: number };
  const body = JSON.stringify({ action: "bench.tick", customerId: "00000000-0000-0000-0000-000000000000", payload: { n } });
  const startedAt = new Date();
  const response = await request(`${receiverUrl}/peer-${round}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "webhook-id": helpers.job.id, "user-agent": "peer/1.0" },
    dispatcher,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const excerpt = (await response.body.text()).slice(0, 2048);
  const succeeded = response.statusCode >= 200 && response.statusCode < 300;
  await helpers.query(
    `insert into peer.attempts (job_id, round, attempt_no, status, response_code, started_at, finished_at, duration_ms, response_excerpt)
     values ($1, $2, $3, $4, $5, $6, now(), $7, $8)`,
    [helpers.job.id, round, helpers.job.attempts, succeeded ? "done" : "failed", response.statusCode, startedAt, Date.now() - startedAt.getTime(), excerpt],
  );
  if (!succeeded) throw new Error(`the receiver answered ${response.statusCode}`);
};

const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  pollInterval: 2_000,
  // Errors only: the bench prints its own table.
  logger: new Logger(() => (level, message) => void (level === "error" && console.error(message))),
  preset: { worker: { localQueue: { size: concurrency + 1 } } },
  taskList: { deliver },
});
await runner.addJob("deliver", { round: 0, n: 0 }); // warms the pool and the HTTP connection
console.log("ready");
process.once("SIGTERM", () => void runner.stop().then(() => process.exit(0)));
await runner.promise;
