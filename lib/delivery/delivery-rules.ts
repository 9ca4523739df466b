/**
 * The delivery contract of DESIGN §3, in numbers. How many attempts and how far apart is each site's
 * retry policy (retry-policy.ts; 5 attempts 10 s apart by default).
 */
/** The default policy's interval: a failed attempt is resent this long after it failed, unless WEBHOOK_RETRY_INTERVAL_MS (tests) says otherwise. */
export const DEFAULT_RETRY_INTERVAL_MS = 10_000;
/** Attempts and finished messages older than this are purged (90 days). */
export const RETENTION_MS = 7_776_000_000;
/** How much of a response body an attempt keeps. */
export const RESPONSE_EXCERPT_BYTES = 2048;
/** How long a claim on a message lasts unrenewed: a dead holder's messages are taken over this much later. */
export const DEFAULT_CLAIM_TTL_MS = 30_000;
/** How far ahead a send slot may be reserved and waited for; a site booked further is postponed. */
export const PACING_HORIZON_MS = 1_000;
/** How long an attempt waits for one of its site's threads before giving the message back. */
export const THREAD_WAIT_MS = 2_000;
/**
 * How late after its reserved start a send may still go out, on the database's clock and counting
 * what this process does not know about that clock (database-clock.ts). Starts are spaced 2 % wider
 * than 1/rps (reserve-send.ts), so any rps consecutive starts span at least 1,020 ms: each may be up
 * to 20 ms late without rps + 1 of them fitting in a second; 15 leaves room for millisecond rounding.
 * A send later than this (a busy event loop, a slow token fetch) reserves a new start instead.
 */
export const LATE_START_MS = 15;
export const USER_AGENT = "TrustedSitesWebhooks/1.0";

export const IN_FLIGHT = ["queued", "resent"] as const;
export type AttemptStatus = "queued" | "resent" | "done" | "failed";
