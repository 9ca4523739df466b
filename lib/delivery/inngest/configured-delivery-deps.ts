import type { Database } from "../../db";
import { readEnv, type Env } from "../../env";
import { LATE_START_WAIT_MS, PACING_WAIT_MS, stepBudget, type StepBudget } from "../../inngest/step-budget";
import { createDatabaseTokenStore } from "../../oauth/token-store";
import { createGuardedFetch } from "../../outbound/guarded-fetch";
import { secrets } from "../../secrets";
import type { DeliveryDeps } from "../attempt-message";
import { databaseClock } from "../database-clock";
import { DEFAULT_RETRY_INTERVAL_MS } from "../policy/delivery-rules";

interface InngestDelivery {
  deps: DeliveryDeps;
  budget: StepBudget;
}

const cache = new WeakMap<Database, InngestDelivery>();

/**
 * What attempts run by the Inngest functions need, as the environment configures it; built once per
 * database so the HTTP agent and clock samples are reused. Every wait inside a step is bounded by
 * the step budget (lib/inngest/step-budget.ts): no wait for a thread, none for a start more than
 * PACING_WAIT_MS ahead (the step gives the message back with "not before T" and the run sleeps,
 * holding no concurrency slot),
 * database retries and the wait for another send's token fetch cut to the budget.
 */
export function configuredDeliveryDeps(db: Database, env: Env = readEnv()): InngestDelivery {
  let delivery = cache.get(db);
  if (!delivery) {
    const box = secrets();
    const budget = stepBudget(env.INNGEST_STEP_MAX_MS);
    delivery = {
      budget,
      deps: {
        db,
        box,
        fetch: createGuardedFetch({ allow: env.ALLOW_PRIVATE_TARGETS }),
        tokens: createDatabaseTokenStore(db, box, { lockWaitMs: budget.maxSiteTimeoutMs }),
        retryIntervalMs: env.WEBHOOK_RETRY_INTERVAL_MS ?? DEFAULT_RETRY_INTERVAL_MS,
        clock: databaseClock(),
        pacingHorizonMs: PACING_WAIT_MS,
        threadWaitMs: 0,
        lateStartWaitMs: LATE_START_WAIT_MS,
        databaseRetryMs: budget.databaseRetryMs,
        log: (line) => console.log(`[webhook inngest] ${line}`),
      },
    };
    cache.set(db, delivery);
  }
  return delivery;
}

/** The longest a run sleeps on a busy site before looking again, however often it found it busy. */
const MAX_POSTPONEMENT_MS = 8_000;

/**
 * The dependencies for one try of deliver-webhook, `postponed` tries into the current attempt: a
 * run that keeps finding the site busy looks again less often (250 ms doubling up to 8 s, jittered),
 * so runs sleeping on a one-thread site do not all wake at once.
 */
export function inngestTryDeps(db: Database, postponed: number, env?: Env): { deps: DeliveryDeps; maxTimeoutMs: number } {
  const { deps, budget } = configuredDeliveryDeps(db, env);
  const backoff = Math.min(250 * 2 ** postponed, MAX_POSTPONEMENT_MS);
  return { deps: { ...deps, postponeAtLeastMs: backoff * (0.5 + Math.random() / 2) }, maxTimeoutMs: budget.maxSiteTimeoutMs };
}
