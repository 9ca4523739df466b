import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { AUTH_METHODS } from "../auth-methods/method-names";
import type { RetryPolicyInput } from "../delivery/policy/retry-policy";
import type { StoredSigningSecret } from "../signing-secrets/stored-signing-secret";
import type { BodyEncoding, HttpMethod } from "../trusted-sites/request-shape";
import type { StoredClientCertificate } from "../trusted-sites/stored-client-certificate";
import type { StoredHeader } from "../trusted-sites/stored-headers";

const createdAt = () => timestamp("created_at", { withTimezone: true }).defaultNow().notNull();
const updatedAt = () =>
  timestamp("updated_at", { withTimezone: true })
    .defaultNow()
    .notNull()
    .$onUpdate(() => new Date());

export const siteStatus = pgEnum("site_status", ["draft", "active", "inactive"]);
export const authMethod = pgEnum("auth_method", AUTH_METHODS);
/** Shared by messages and attempts: the states DESIGN §3 names. */
export const deliveryStatus = pgEnum("delivery_status", ["queued", "resent", "done", "failed"]);

export const trustedSites = pgTable(
  "trusted_sites",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    contentType: text("content_type").notNull().default("application/json"),
    authMethod: authMethod("auth_method").notNull().default("none"),
    /** Method parameters; secret fields are stored encrypted (lib/secrets.ts). */
    authParams: jsonb("auth_params").$type<Record<string, unknown>>().notNull().default({}),
    status: siteStatus("status").notNull().default("draft"),
    rps: integer("rps").notNull().default(10),
    threads: integer("threads").notNull().default(1),
    timeoutMs: integer("timeout_ms").notNull().default(10_000),
    /** Deliver in order per customer: a customer's message waits until their earlier ones to this site are done or failed (DESIGN §3). */
    orderedPerCustomer: boolean("ordered_per_customer").notNull().default(false),
    /** How the request is sent (lib/trusted-sites/request-shape.ts). */
    httpMethod: text("http_method").$type<HttpMethod>().notNull().default("POST"),
    bodyEncoding: text("body_encoding").$type<BodyEncoding>().notNull().default("json"),
    /** Extra request headers `[{name, value, secret}]` (secret values encrypted), sent with every request before the method authenticates it. */
    headers: jsonb("headers").$type<StoredHeader[]>().notNull().default([]),
    /** Mutual TLS: the certificate presented to the receiver, its key encrypted; null: none. */
    clientCertificate: jsonb("client_certificate").$type<StoredClientCertificate | null>(),
    /** Standard Webhooks signing secrets, newest first, each sealed (lib/signing-secrets); none: requests are not signed. */
    signingSecrets: jsonb("signing_secrets").$type<StoredSigningSecret[]>().notNull().default([]),
    /** Attempts, schedule, fail-fast and automatic deactivation (lib/delivery/policy/retry-policy.ts); `{}` is the default policy. */
    retryPolicy: jsonb("retry_policy").$type<RetryPolicyInput>().notNull().default({}),
    /** Since when every attempt to the site has failed (set by the first failure after a success, cleared by a success). */
    failingSince: timestamp("failing_since", { withTimezone: true }),
    /** Why the system set the site inactive (410 Gone, failing too long); cleared when the status changes again. */
    statusReason: text("status_reason"),
    /**
     * Set for the site a workflow's legacy node keeps its connection in (DESIGN §10): it is not listed
     * with the trusted sites, not editable as one, and its name is free (the unique name is for listed sites).
     */
    workflowId: uuid("workflow_id").references((): AnyPgColumn => workflows.id),
    workflowNodeId: text("workflow_node_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("trusted_sites_listed_name_key")
      .on(t.name)
      .where(sql`${t.workflowId} is null`),
    uniqueIndex("trusted_sites_workflow_node_key")
      .on(t.workflowId, t.workflowNodeId)
      .where(sql`${t.workflowId} is not null`),
    check("trusted_sites_http_method", sql`${t.httpMethod} in ('POST', 'PUT')`),
    check("trusted_sites_body_encoding", sql`${t.bodyEncoding} in ('json', 'form')`),
    index("trusted_sites_status_idx").on(t.status),
    check("trusted_sites_rps_positive", sql`${t.rps} > 0`),
    check("trusted_sites_threads_positive", sql`${t.threads} > 0`),
    check("trusted_sites_timeout_positive", sql`${t.timeoutMs} > 0`),
  ],
);

/**
 * How a site's OAuth token fetches have gone (lib/oauth/token-health.ts), written by the token store
 * with each fetch: the last success, the last failure (operator-readable, no secrets) and whether
 * the provider refused the grant, which only a new Connect (or new credentials) mends.
 */
export const siteTokenHealth = pgTable(
  "site_token_health",
  {
    siteId: uuid("site_id")
      .primaryKey()
      .references(() => trustedSites.id, { onDelete: "cascade" }),
    lastObtainedAt: timestamp("last_obtained_at", { withTimezone: true }),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    /** What went wrong, in words; never a response body or a credential. */
    lastError: text("last_error"),
    /** The token endpoint's HTTP status, when it answered. */
    lastErrorStatus: smallint("last_error_status"),
    /** The RFC 6749 §5.2 `error` code, when the endpoint sent one. */
    lastErrorCode: text("last_error_code"),
    /** Set when the provider refused the grant; cleared by the next token obtained. */
    refusal: text("refusal").$type<"needs_reauthorization" | "credentials_refused">(),
    refusedAt: timestamp("refused_at", { withTimezone: true }),
  },
  (t) => [check("site_token_health_refusal", sql`${t.refusal} in ('needs_reauthorization', 'credentials_refused')`)],
);

export const customers = pgTable(
  "customers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The platform's own customer id: events and the message API name customers by it. */
    externalId: text("external_id"),
    name: text("name").notNull(),
    /** Unknown for a customer created from an event that carried none. */
    email: text("email"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("customers_external_id_key").on(t.externalId),
    uniqueIndex("customers_email_key").on(t.email),
    // The Customers page: keyset order, then one index per searched column for prefix search
    // (lib/customers/list-customers.ts). text_pattern_ops serves `like 'abc%'` in any collation.
    index("customers_name_id_idx").on(t.name, t.id),
    index("customers_name_prefix_idx").using("btree", sql`lower(${t.name}) text_pattern_ops`),
    index("customers_email_prefix_idx").using("btree", sql`lower(${t.email}) text_pattern_ops`),
    index("customers_external_id_prefix_idx").using("btree", sql`lower(${t.externalId}) text_pattern_ops`),
  ],
);

export const workflowStatus = pgEnum("workflow_status", ["draft", "active", "inactive"]);
export const workflowRunStatus = pgEnum("workflow_run_status", ["running", "completed", "failed"]);
export const workflowNodeRunStatus = pgEnum("workflow_node_run_status", ["waiting", "finished"]);

/** A workflow (DESIGN §10): what it is called and whether it runs; its trigger and graph live in versions. */
export const workflows = pgTable(
  "workflows",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    status: workflowStatus("status").notNull().default("draft"),
    /** The latest version's trigger event, copied here so an event finds its workflows through one index. */
    triggerEvent: text("trigger_event").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("workflows_name_key").on(t.name),
    index("workflows_active_trigger_idx")
      .on(t.triggerEvent)
      .where(sql`${t.status} = 'active'`),
  ],
);

/** One saved state of a workflow: editing makes a new version, and a run keeps the one it started with. */
export const workflowVersions = pgTable(
  "workflow_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workflowId: uuid("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** `{event, conditions}` (lib/workflows/definition.ts). */
    trigger: jsonb("trigger").$type<Record<string, unknown>>().notNull(),
    /** `{nodes, edges}` (lib/workflows/definition.ts). */
    graph: jsonb("graph").$type<Record<string, unknown>>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("workflow_versions_workflow_version_key").on(t.workflowId, t.version)],
);

/** One customer event running one workflow version. */
export const workflowRuns = pgTable(
  "workflow_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    workflowId: uuid("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    versionId: uuid("version_id")
      .notNull()
      .references(() => workflowVersions.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    eventData: jsonb("event_data").notNull(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    idempotencyKey: text("idempotency_key"),
    status: workflowRunStatus("status").notNull().default("running"),
    startedAt: timestamp("started_at", { withTimezone: true }).defaultNow().notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    // NULL keys are distinct: events without a key never collide.
    uniqueIndex("workflow_runs_idempotency_key").on(t.workflowId, t.idempotencyKey),
    index("workflow_runs_workflow_idx").on(t.workflowId, t.startedAt),
    // For the foreign keys: a deleted version (or customer) looks up its runs once per row.
    index("workflow_runs_version_idx").on(t.versionId),
    index("workflow_runs_customer_idx").on(t.customerId, t.startedAt),
  ],
);

/** What one node did in one run: the output it took, or the message it waits for. */
export const workflowNodeRuns = pgTable(
  "workflow_node_runs",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => workflowRuns.id, { onDelete: "cascade" }),
    nodeId: text("node_id").notNull(),
    status: workflowNodeRunStatus("status").notNull(),
    /** The output the node took (`success`/`failure`, or a condition's `true`/`false`) once finished. */
    output: text("output"),
    /**
     * The message the node made. No foreign key: its ON DELETE SET NULL ran one lookup per deleted
     * message; the code that deletes messages nulls these links itself, one statement a batch (the
     * purge, purge-expired.ts; a site's deletion, delete-site.ts).
     */
    messageId: uuid("message_id"),
    /** Why the node took its output, in words (a failed message, a deactivated site, a false condition). */
    reason: text("reason"),
    startedAt: timestamp("started_at", { withTimezone: true }).defaultNow().notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.nodeId] }),
    index("workflow_node_runs_waiting_idx")
      .on(t.messageId)
      .where(sql`${t.status} = 'waiting'`),
    // For nulling the links to deleted messages (the purge, a site's deletion): the waiting index
    // above cannot serve it, and without this it scanned the whole table.
    index("workflow_node_runs_message_idx")
      .on(t.messageId)
      .where(sql`${t.messageId} is not null`),
  ],
);

/** One trigger of a Webhook message node: the Queue row. */
export const webhookMessages = pgTable(
  "webhook_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => trustedSites.id, { onDelete: "cascade" }),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    action: text("action").notNull(),
    payload: jsonb("payload").notNull(),
    /** sha256 of the payload as sent, so a resend can be shown to carry the same content. */
    contentHash: text("content_hash").notNull(),
    idempotencyKey: text("idempotency_key"),
    status: deliveryStatus("status").notNull().default("queued"),
    /** Attempts started so far (0..20: the most a site's retry policy allows). */
    attempts: smallint("attempts").notNull().default(0),
    /**
     * When the current attempt was started (a thread taken, about to send), until its result is
     * recorded or it is given back unsent: a claim that finds it set takes over an interrupted attempt.
     * Kept here, not on the attempt row, so that starting a send rewrites only this row, in place
     * (no index covers it; the table's fillfactor leaves room for the update on the row's page).
     */
    attemptStartedAt: timestamp("attempt_started_at", { withTimezone: true }),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    /** A worker's claim on the message; after it passes, another worker may take the attempt. */
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    /** Who holds the claim (a worker's id, or one Inngest step's token); results are recorded only by the holder. */
    lockedBy: uuid("locked_by"),
    /**
     * The message this one was resent from (same site, customer, action and payload). No foreign key,
     * as for workflow_node_runs.message_id: the purge nulls the links to what it deletes, and a resend
     * locks its original `for key share` (what the key's check did), so the purge skips it meanwhile.
     */
    resentFromMessageId: uuid("resent_from_message_id"),
    /** The workflow run whose node made this message, if a workflow made it. */
    workflowRunId: uuid("workflow_run_id").references((): AnyPgColumn => workflowRuns.id, { onDelete: "set null" }),
    workflowNodeId: text("workflow_node_id"),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    // Partial (most messages are neither resends nor keyed): an insert, and each non-HOT update of a
    // message's status, writes no entry for a NULL here. Lookups by a value imply `is not null`.
    index("webhook_messages_resent_from_idx")
      .on(t.resentFromMessageId)
      .where(sql`${t.resentFromMessageId} is not null`),
    // Enqueue's `on conflict` names this predicate to infer the index.
    uniqueIndex("webhook_messages_site_idempotency_key")
      .on(t.siteId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    index("webhook_messages_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('queued', 'resent')`),
    index("webhook_messages_in_flight_idx")
      .on(t.createdAt, t.id)
      .where(sql`${t.status} in ('queued', 'resent')`),
    index("webhook_messages_site_idx").on(t.siteId, t.createdAt),
    // A customer's line at an ordered site: the claim asks whether an earlier message is still in flight.
    index("webhook_messages_customer_line_idx")
      .on(t.siteId, t.customerId, t.createdAt, t.id)
      .where(sql`${t.status} in ('queued', 'resent')`),
    index("webhook_messages_customer_idx").on(t.customerId, t.createdAt),
    // A run history counts each run's messages.
    index("webhook_messages_workflow_run_idx")
      .on(t.workflowRunId)
      .where(sql`${t.workflowRunId} is not null`),
    index("webhook_messages_finished_idx")
      .on(t.finishedAt)
      .where(sql`${t.finishedAt} is not null`),
    check("webhook_messages_attempts_range", sql`${t.attempts} between 0 and 20`),
  ],
);

// Indexes read newest-first are declared ascending: PostgreSQL scans them backwards for
// `ORDER BY created_at DESC, id DESC`. (Drizzle's `.desc()` emits `DESC NULLS LAST`, which such a
// query cannot use.) tests/integration/migrations.test.ts pins this with the query plans.

/**
 * One send attempt: the Logs row. Site, customer and action are copied from the message so the
 * Logs filters are served by one index each, without a join.
 */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigint("id", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    /**
     * No foreign key: its ON DELETE CASCADE ran one statement per deleted message that probed every
     * day partition (message_id does not prune), 18.5 ms per 100 messages beside a full retention's
     * ~100 partitions. The code that deletes messages deletes their attempts itself, bounded by day:
     * the purge (purge-expired.ts) and a site's deletion (delete-site.ts). docs/design.md §2.
     */
    messageId: uuid("message_id").notNull(),
    siteId: uuid("site_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    action: text("action").notNull(),
    attemptNo: smallint("attempt_no").notNull(),
    status: deliveryStatus("status").notNull().default("queued"),
    createdAt: createdAt(),
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    responseCode: integer("response_code"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    /** The first bytes of the response body (bounded by the delivery code). */
    responseExcerpt: text("response_excerpt"),
    /** The request as sent (method, URL, headers), credential headers redacted, for the Logs detail. */
    request: jsonb("request").$type<{
      method: string;
      url: string;
      headers: Record<string, string>;
      bodyEncoding?: BodyEncoding;
      resentAfterTokenRefresh?: boolean;
    }>(),
  },
  (t) => [
    // Partitioned by day of created_at (drizzle/0021_attempts-partitioned.sql, lib/db/attempt-partitions.ts):
    // every primary or unique key of a partitioned table must contain the partition key, so the key
    // is (id, created_at) and one attempt row per (message, attempt_no) is kept by the claim token
    // (only the claim holder records an outcome and inserts the next attempt), not by an index.
    primaryKey({ columns: [t.id, t.createdAt] }),
    index("webhook_attempts_message_attempt_idx").on(t.messageId, t.attemptNo),
    // Logs filters (DESIGN §8): each filter combination reads newest-first through an index whose
    // leading columns are filters, then (created_at, id) for order and the keyset cursor. Filter
    // columns after `id` change no order but are checked inside the index, so a rare combination
    // (no failed attempts for this customer at this site) skips non-matching rows without visiting
    // the table, and the chart counts by status with index-only scans. scripts/bench-logs.ts measures them.
    index("webhook_attempts_created_idx").on(t.createdAt, t.id),
    index("webhook_attempts_site_idx").on(t.siteId, t.createdAt, t.id),
    index("webhook_attempts_site_status_idx").on(t.siteId, t.status, t.createdAt, t.id, t.action),
    // A site receives only some actions: without this, "site + an action it never gets" reads every row.
    index("webhook_attempts_site_action_idx").on(t.siteId, t.action, t.createdAt, t.id, t.status),
    index("webhook_attempts_customer_idx").on(t.customerId, t.createdAt, t.id, t.siteId, t.status, t.action),
    index("webhook_attempts_status_idx").on(t.status, t.createdAt, t.id, t.action),
    index("webhook_attempts_action_idx").on(t.action, t.createdAt, t.id, t.status),
    check("webhook_attempts_attempt_no_range", sql`${t.attemptNo} between 1 and 20`),
  ],
);

/**
 * Per-minute rollup of finished attempts (docs/design.md §2): one row per site, minute of the
 * attempt's `created_at` and its final status (`resent`, `failed`, `done`; queued attempts are not
 * finished and are counted from webhook_attempts). Written in the statement that records outcomes
 * (record-outcome.ts) and by cancel-message.ts; purged with the attempts. Charts and site health
 * read these rows instead of the attempts.
 */
export const attemptMinutes = pgTable(
  "attempt_minutes",
  {
    siteId: uuid("site_id")
      .notNull()
      .references(() => trustedSites.id, { onDelete: "cascade" }),
    /** Start of the minute (UTC, whole minutes since the epoch) the attempts were created in. */
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    status: deliveryStatus("status").notNull(),
    attempts: integer("attempts").notNull(),
    /** Sum of the attempts' `duration_ms` (attempts without one add nothing). */
    durationMsSum: bigint("duration_ms_sum", { mode: "number" }).notNull().default(0),
    /** Attempts per duration bucket (lib/delivery/duration-histogram.ts); attempts without a duration are not counted. */
    durations: integer("durations").array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.siteId, t.minute, t.status] }),
    // The chart over every site, and the purge.
    index("attempt_minutes_minute_idx").on(t.minute),
  ],
);

/** GCRA state per site: the theoretical arrival time of the next request (DESIGN §4). */
export const sitePacing = pgTable("site_pacing", {
  siteId: uuid("site_id")
    .primaryKey()
    .references(() => trustedSites.id, { onDelete: "cascade" }),
  theoreticalArrivalAt: timestamp("theoretical_arrival_at", { withTimezone: true })
    .defaultNow()
    .notNull(),
  /** How many starts the site has booked, ever: a start's booking number is the count before it (reserve-send.ts). */
  bookedStarts: bigint("booked_starts", { mode: "number" }).default(0).notNull(),
  /**
   * The site's live departure holds (reserve-send.ts): [from, until, writer, booking] in ms since
   * epoch on the database's clock; the send with that booking number leaves no earlier than `until`
   * (a hold without one, written before booking numbers, binds every send starting at or after `from`).
   */
  departureHolds: jsonb("departure_holds").$type<[number, number, string, number?][]>(),
});

/**
 * In-flight requests per site: one row per thread slot (0..threads-1), held while `expires_at` is
 * in the future. Taking a lease is one UPDATE of a free slot row with SKIP LOCKED, so no count can
 * race; a lease past `expires_at` belongs to a dead worker and no longer counts.
 */
export const siteLeases = pgTable(
  "site_leases",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => trustedSites.id, { onDelete: "cascade" }),
    slot: smallint("slot").notNull(),
    messageId: uuid("message_id"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  // No index on expires_at or message_id: taking and returning a lease then rewrites the slot row
  // in place (a HOT update), with no index entry per send. A free slot is found through (site, slot).
  (t) => [uniqueIndex("site_leases_site_slot_key").on(t.siteId, t.slot)],
);

export type TrustedSite = typeof trustedSites.$inferSelect;
export type Customer = typeof customers.$inferSelect;
export type Workflow = typeof workflows.$inferSelect;
export type WorkflowVersion = typeof workflowVersions.$inferSelect;
export type WorkflowRun = typeof workflowRuns.$inferSelect;
export type WebhookMessage = typeof webhookMessages.$inferSelect;
export type WebhookAttempt = typeof webhookAttempts.$inferSelect;

// ---- Backoffice users (tables read and written by better-auth through its Drizzle adapter) ----

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    emailVerified: boolean("email_verified").notNull().default(false),
    image: text("image"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    token: text("token").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("sessions_token_key").on(t.token), index("sessions_user_idx").on(t.userId)],
);

/** Sign-in methods of a user; for email + password, `password` holds the password hash. */
export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: timestamp("access_token_expires_at", { withTimezone: true }),
    refreshTokenExpiresAt: timestamp("refresh_token_expires_at", { withTimezone: true }),
    scope: text("scope"),
    password: text("password"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("accounts_user_idx").on(t.userId)],
);

export const verifications = pgTable(
  "verifications",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("verifications_identifier_idx").on(t.identifier)],
);

/** Sign-in rate limiting, shared by every process (better-auth's database storage). */
export const authRateLimits = pgTable("auth_rate_limits", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  count: integer("count").notNull(),
  lastRequest: bigint("last_request", { mode: "number" }).notNull(),
});

/** Machine credentials (workflow triggers, scripts): only a hash of the token is stored. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** sha256 of the full token, hex. */
    tokenHash: text("token_hash").notNull(),
    /** The first characters of the token, so a user can recognise it in the list. */
    prefix: text("prefix").notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_key").on(t.tokenHash),
    // For the foreign key's ON DELETE SET NULL when a user is deleted.
    index("api_tokens_created_by_idx").on(t.createdBy),
  ],
);

/** Who did what to a site (created, changed, activated, deactivated, deleted, resent messages). */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** A user's email or "api token <name>"; kept as text so the trail survives a deleted user. */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    /** Not a foreign key: the trail of a deleted site is kept. */
    siteId: uuid("site_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("audit_events_site_idx").on(t.siteId, t.createdAt)],
);

export type User = typeof users.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
