import type postgres from "postgres";
import type { Database } from "../db";
import { readEnv, type Env } from "../env";
import { startLocalWorker, type LocalWorker } from "./local-worker";

/** The local worker as the environment configures it (lib/env.ts), logging to the console. */
export function startConfiguredWorker(database: { db: Database; sql: postgres.Sql }, env: Env = readEnv()): LocalWorker {
  return startLocalWorker({
    ...database,
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS,
    concurrency: env.WORKER_CONCURRENCY,
    claimTtlMs: env.WORKER_CLAIM_TTL_MS,
    retryIntervalMs: env.WEBHOOK_RETRY_INTERVAL_MS,
    log: (line) => console.log(`[webhook worker] ${line}`),
  });
}
