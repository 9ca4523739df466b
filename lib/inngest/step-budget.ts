/**
 * How long one Inngest step may take, derived from the host's limit on one request to /api/inngest
 * (INNGEST_STEP_MAX_MS). A step killed by the host mid-send leaves an "interrupted" attempt the
 * receiver may have got, so every wait inside a step is bounded and their sum stays below the limit.
 *
 * One request runs steps back to back until the SDK's checkpointing `maxRuntime` has passed, then
 * finishes the step it is in and returns. So a request lasts at most
 *   maxRuntime + one step + the final checkpoint and response (RESPONSE_MARGIN_MS).
 * One deliver-webhook step (claimAndAttempt with inngestDeliveryDeps) waits at most for:
 *   - another send's token fetch for the site (the token lock wait, ≤ maxSiteTimeout),
 *   - its own token fetch and its send (the site's timeout each),
 *   - its reserved start (≤ PACING_WAIT_MS: a site booked further ahead is not waited for),
 *   - a start reserved again after a late start (≤ LATE_START_WAIT_MS),
 *   - up to three statements retried while the database is away (databaseRetry each),
 *   - its other statements (STATEMENTS_MS).
 * It never waits for a thread, nor for a start further than PACING_WAIT_MS ahead: it returns
 * "not before T" and the run sleeps. (The few ms it may wait keep a busy high-rps site from
 * postponing every send that comes within one emission interval of another.)
 */

/** `maxDuration` of app/api/inngest/route.ts (Next.js reads it as a literal at build time). */
export const ROUTE_MAX_DURATION_S = 300;
export const DEFAULT_INNGEST_STEP_MAX_MS = ROUTE_MAX_DURATION_S * 1000;
/** Below this not even a 1 s site timeout fits. */
export const MIN_INNGEST_STEP_MAX_MS = 20_000;

const SDK_DEFAULT_MAX_RUNTIME_MS = 10_000;
const RESPONSE_MARGIN_MS = 3_000;
const STATEMENTS_MS = 5_000;
const DATABASE_RETRY_CAP_MS = 60_000;
export const PACING_WAIT_MS = 50;
export const LATE_START_WAIT_MS = 1_000;
/** The sites' own ceiling (site-fields.ts). */
const SITE_TIMEOUT_CAP_MS = 60_000;

export interface StepBudget {
  /** The host's limit on one request (INNGEST_STEP_MAX_MS). */
  hostLimitMs: number;
  /** The client's checkpointing.maxRuntime: no new step starts in a request after this. */
  maxRuntimeMs: number;
  /** The longest one step may take. */
  stepMaxMs: number;
  /** How long one statement is retried while the database is away. */
  databaseRetryMs: number;
  /** The longest site timeout whose attempt still fits in a step. */
  maxSiteTimeoutMs: number;
}

export function stepBudget(hostLimitMs: number): StepBudget {
  const maxRuntimeMs = Math.min(SDK_DEFAULT_MAX_RUNTIME_MS, Math.floor(hostLimitMs / 10));
  const stepMaxMs = hostLimitMs - maxRuntimeMs - RESPONSE_MARGIN_MS;
  const databaseRetryMs = Math.min(DATABASE_RETRY_CAP_MS, Math.floor(stepMaxMs / 10));
  const fixedMs = 3 * databaseRetryMs + PACING_WAIT_MS + LATE_START_WAIT_MS + STATEMENTS_MS;
  const maxSiteTimeoutMs = Math.min(SITE_TIMEOUT_CAP_MS, Math.floor((stepMaxMs - fixedMs) / 3));
  return { hostLimitMs, maxRuntimeMs, stepMaxMs, databaseRetryMs, maxSiteTimeoutMs };
}

/** The longest a step delivering to a site with this timeout can take (see above). */
export function stepWorstCaseMs(budget: StepBudget, siteTimeoutMs: number): number {
  const timeoutMs = Math.min(siteTimeoutMs, budget.maxSiteTimeoutMs);
  return budget.maxSiteTimeoutMs + 2 * timeoutMs + 3 * budget.databaseRetryMs + PACING_WAIT_MS + LATE_START_WAIT_MS + STATEMENTS_MS;
}

/** Why a site timeout cannot be used with this budget, or null when it fits. */
export function siteTimeoutRefusal(budget: StepBudget, siteTimeoutMs: number): string | null {
  if (siteTimeoutMs <= budget.maxSiteTimeoutMs) return null;
  return (
    `Timeout must be at most ${budget.maxSiteTimeoutMs} ms with Inngest deliveries: ` +
    `a request to /api/inngest may run ${budget.hostLimitMs / 1000} s on this host (INNGEST_STEP_MAX_MS), ` +
    `and one attempt can wait for a token fetch and the send, each up to the timeout`
  );
}
