import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The only labels that name an entity: sites are few and operator-made, unlike customers or messages. */
const SITE_LABELS = ["site_id", "site_name"] as const;

export interface SiteRef {
  id: string;
  name: string;
}

export const siteLabels = (site: SiteRef) => ({ site_id: site.id, site_name: site.name });

/** Seconds; from a fast loopback receiver to the longest site timeout (60 s). */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    attempts: new Counter({
      name: "webhook_attempts_total",
      help: "Webhook attempts made by this process, by site and outcome",
      labelNames: [...SITE_LABELS, "outcome"],
      registers,
    }),
    attemptDuration: new Histogram({
      name: "webhook_attempt_duration_seconds",
      help: "Time from handing a webhook request to the HTTP client until its response (or failure), by site",
      labelNames: SITE_LABELS,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: "webhook_queue_depth",
      help: "Messages in flight (queued or waiting to be resent) per site, read from PostgreSQL at scrape time",
      labelNames: SITE_LABELS,
      registers,
    }),
    dueLag: new Gauge({
      name: "webhook_queue_due_lag_seconds",
      help: "How long the oldest due message nobody is sending has waited past its due time, per active site (0 when none)",
      labelNames: SITE_LABELS,
      registers,
    }),
    tokenFetches: new Counter({
      name: "webhook_token_fetches_total",
      help: "OAuth access tokens requested from a site's token endpoint by this process",
      labelNames: SITE_LABELS,
      registers,
    }),
    tokenFetchFailures: new Counter({
      name: "webhook_token_fetch_failures_total",
      help: "OAuth token requests by this process that failed (endpoint unreachable, refused or malformed answer)",
      labelNames: SITE_LABELS,
      registers,
    }),
    workflowRunsStarted: new Counter({
      name: "workflow_runs_started_total",
      help: "Workflow runs started by this process: by a customer event or by Send test event",
      labelNames: ["trigger"] as const,
      registers,
    }),
    workflowRunsCompleted: new Counter({
      name: "workflow_runs_completed_total",
      help: "Workflow runs this process brought to completion (no node left to run or wait for)",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

// One set per process: Next.js bundles instrumentation (where the worker runs) and each route
// separately, so a module-level value would give the route a copy the worker never counts in.
const METRICS = Symbol.for("trusted-sites-webhooks.metrics");
const holder = globalThis as unknown as { [METRICS]?: Metrics };

export function metrics(): Metrics {
  return (holder[METRICS] ??= createMetrics());
}
