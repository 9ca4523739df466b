import { RETRYABLE_4XX, type RetryPolicy } from "./retry-policy";

/** What a failed (or successful) attempt leads to under its site's policy. */
export type RetryDecision =
  /** Done, or failed with nothing left to try: the message finishes. */
  | { retry: false; goneAt?: undefined }
  /** The next attempt waits this long. */
  | { retry: true; delayMs: number; goneAt?: undefined }
  /** 410 Gone: the message fails and the site is set inactive (Standard Webhooks: stop sending there). */
  | { retry: false; goneAt: Date };

export interface AttemptAnswer {
  succeeded: boolean;
  responseCode?: number | null;
  /** The receiver's Retry-After header, as sent. */
  retryAfter?: string | null;
}

/**
 * Decides whether attempt `attemptNo` is followed by another and when, from the site's policy as it
 * is now (read at send time: a policy change applies to messages already in flight; one that has
 * already used as many attempts as the new policy allows fails at its next failure).
 *
 * - fixed: `intervalSeconds` (the default interval when unset) after each failure;
 * - exponential with full jitter: uniformly in [0, min(max, base · 2^(attemptNo − 1))];
 * - a Retry-After on 429 or 503 (seconds or an HTTP date) is honoured when it asks for longer,
 *   bounded by the policy's maximum delay;
 * - 410 Gone fails the message (and the caller deactivates the site);
 * - with `failFastOn4xx`, a 4xx other than 408, 409, 425 and 429 fails the message at once.
 */
export function decideRetry(
  policy: RetryPolicy,
  attemptNo: number,
  answer: AttemptAnswer,
  options: { defaultIntervalMs: number; now: Date; random?: () => number },
): RetryDecision {
  if (answer.succeeded) return { retry: false };
  const code = answer.responseCode ?? null;
  if (code === 410) return { retry: false, goneAt: options.now };
  if (policy.failFastOn4xx && code !== null && code >= 400 && code < 500 && !RETRYABLE_4XX.includes(code)) return { retry: false };
  if (attemptNo >= policy.attempts) return { retry: false };
  const maxMs = policy.maxDelaySeconds * 1000;
  let delayMs = scheduledDelayMs(policy, attemptNo, options.defaultIntervalMs, options.random ?? Math.random);
  if (code === 429 || code === 503) {
    const asked = retryAfterMs(answer.retryAfter, options.now);
    if (asked !== null) delayMs = Math.max(delayMs, Math.min(asked, maxMs));
  }
  return { retry: true, delayMs: Math.round(delayMs) };
}

/** The policy's own wait after attempt `attemptNo` failed, before any Retry-After. */
export function scheduledDelayMs(policy: RetryPolicy, attemptNo: number, defaultIntervalMs: number, random: () => number): number {
  const maxMs = policy.maxDelaySeconds * 1000;
  const baseMs = policy.intervalSeconds === null ? defaultIntervalMs : policy.intervalSeconds * 1000;
  if (policy.schedule === "fixed") return Math.min(baseMs, maxMs);
  // 2^19 · 24 h is still a finite double, so the cap never overflows before min() applies.
  const capMs = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptNo - 1));
  return random() * capMs;
}

/**
 * How long a Retry-After header asks to wait, in ms from `now` (RFC 9110 §10.2.3: delay-seconds or
 * an HTTP-date); null when absent or unreadable, 0 for a date in the past.
 */
export function retryAfterMs(header: string | null | undefined, now: Date): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // HTTP-dates carry a weekday and "GMT"; a bare number with a sign or a fraction is not one.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
