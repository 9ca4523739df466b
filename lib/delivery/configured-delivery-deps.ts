import type { Database } from "../db";
import { readEnv, type Env } from "../env";
import { createDatabaseTokenStore } from "../oauth/token-store";
import { createGuardedFetch } from "../outbound/guarded-fetch";
import { secrets } from "../secrets";
import type { DeliveryDeps } from "./attempt-message";
import { databaseClock } from "./database-clock";
import { PACING_HORIZON_MS, THREAD_WAIT_MS } from "./delivery-rules";

const cache = new WeakMap<Database, DeliveryDeps>();

/**
 * What attempts run by a driver without a worker of its own (the Inngest functions) need, as the
 * environment configures it; built once per database so the HTTP agent and clock samples are reused.
 */
export function configuredDeliveryDeps(db: Database, env: Env = readEnv()): DeliveryDeps {
  let deps = cache.get(db);
  if (!deps) {
    const box = secrets();
    deps = {
      db,
      box,
      fetch: createGuardedFetch({ allow: env.ALLOW_PRIVATE_TARGETS }),
      tokens: createDatabaseTokenStore(db, box),
      retryIntervalMs: env.WEBHOOK_RETRY_INTERVAL_MS,
      clock: databaseClock(),
      pacingHorizonMs: PACING_HORIZON_MS,
      threadWaitMs: THREAD_WAIT_MS,
      log: (line) => console.log(`[webhook inngest] ${line}`),
    };
    cache.set(db, deps);
  }
  return deps;
}
