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
/**
 * How far ahead a send slot may be reserved and waited for; a site booked further is postponed.
 * Half the 1,010 ms that rps consecutive starts span (reserve-send.ts), so the send rps bookings
 * after a late one is booked at least 510 ms after that one's start: by then the late one (at most
 * MAX_HELD_LATENESS_MS late when handed to the HTTP client) has left and its departure hold is in the
 * site's pacing row, which the booking reads, whichever worker books it. (At 750 ms, two workers at
 * 5 rps beside a CPU hog missed a hold now and then.) A late one that was itself held may leave later;
 * its successor then reads the row again before it leaves (reserve-send.ts recheckAt).
 */
export const PACING_HORIZON_MS = 500;
/**
 * The most a send of a site with departure holds may be handed to the HTTP client after its booked
 * start (a hold's wait included, on the database's clock at its latest) before it books a new start
 * (attempt-message.ts); up to there its own departure hold pays for the lateness.
 */
export const MAX_HELD_LATENESS_MS = 200;
/** How long an attempt waits for one of its site's threads before giving the message back. */
export const THREAD_WAIT_MS = 2_000;
/**
 * How late after its reserved start a send of a site without departure holds (above HELD_MAX_RPS,
 * reserve-send.ts) may still be handed to the HTTP client, on the database's clock and counting what
 * this process does not know about that clock (database-clock.ts): the 1 % margin alone covers it. A
 * send later than this (a busy event loop, a slow token fetch) reserves a new start instead. Sites
 * with holds use MAX_HELD_LATENESS_MS.
 */
export const LATE_START_MS = 15;
/**
 * How many new starts a late send books before it goes out late anyway. Without a bound, on a machine
 * so loaded that every booking's answer arrives later than LATE_START_MS, a send booked again and again
 * and never left (the bench:soak stalls of minutes, issue 16).
 */
export const MAX_LATE_BOOKINGS = 3;
export const USER_AGENT = "TrustedSitesWebhooks/1.0";

export const IN_FLIGHT = ["queued", "resent"] as const;
export type AttemptStatus = "queued" | "resent" | "done" | "failed";
