import type postgres from "postgres";
import type { Database } from "../../db";
import { readEnv, type Env } from "../../env";
import { startWorkflowContinuations } from "../../workflows/workflow-continuations";
import { engineAnnouncer } from "../engine";
import { startLocalWorker, type LocalWorker } from "./local-worker";

/**
 * The local engine as the environment configures it (lib/env.ts), logging to the console: the
 * delivery worker, and the continuation of workflow runs whose messages end.
 */
export function startConfiguredWorker(database: { db: Database; sql: postgres.Sql }, env: Env = readEnv()): LocalWorker {
  const worker = startLocalWorker({
    ...database,
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS,
    concurrency: env.WORKER_CONCURRENCY,
    claimTtlMs: env.WORKER_CLAIM_TTL_MS,
    retryIntervalMs: env.WEBHOOK_RETRY_INTERVAL_MS,
    log: (line) => console.log(`[webhook worker] ${line}`),
  });
  const continuations = startWorkflowContinuations({
    ...database,
    announcer: engineAnnouncer("local"),
    log: (line) => console.log(`[workflows] ${line}`),
  });
  return {
    id: worker.id,
    async stop(graceMs) {
      await worker.stop(graceMs);
      await continuations.stop();
    },
  };
}
