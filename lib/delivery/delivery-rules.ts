/** The delivery contract of DESIGN §3, in numbers. */
export const MAX_ATTEMPTS = 5;
/** A failed attempt is resent this long after it failed, unless a test injects a shorter one. */
export const DEFAULT_RETRY_INTERVAL_MS = 10_000;
/** Attempts and finished messages older than this are purged (90 days). */
export const RETENTION_MS = 7_776_000_000;
/** How much of a response body an attempt keeps. */
export const RESPONSE_EXCERPT_BYTES = 2048;
export const USER_AGENT = "TrustedSitesWebhooks/1.0";

export const IN_FLIGHT = ["queued", "resent"] as const;
export type AttemptStatus = "queued" | "resent" | "done" | "failed";
