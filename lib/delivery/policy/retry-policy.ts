import { z } from "zod";

/*
 * A site's delivery policy (issue 15): how many attempts, how long between them, whether a 4xx
 * fails a message at once, and whether a site that keeps failing is set inactive by the system.
 * Client-safe (zod only): the site form, the API and the delivery core share it.
 */

/** The original contract (DESIGN §3): 5 attempts, 10 s apart. */
export const DEFAULT_ATTEMPTS = 5;
/** The most attempts a policy may ask for (the database's check constraints allow this many). */
export const MAX_POLICY_ATTEMPTS = 20;
/** The longest wait between two attempts a policy may ask for, and the default bound: 24 h. */
export const MAX_RETRY_DELAY_SECONDS = 86_400;
/** The default fixed interval, in seconds (WEBHOOK_RETRY_INTERVAL_MS may shorten it for tests). */
export const DEFAULT_INTERVAL_SECONDS = 10;
/** Automatic deactivation: at least a minute of failing, at most 30 days. */
const MIN_DEACTIVATE_AFTER_SECONDS = 60;
const MAX_DEACTIVATE_AFTER_SECONDS = 30 * 86_400;

export const RETRY_SCHEDULES = ["fixed", "exponential"] as const;
export type RetrySchedule = (typeof RETRY_SCHEDULES)[number];

/**
 * 4xx answers that say "try again later" rather than "this request is wrong": they are retried
 * even when the policy fails messages at once on a 4xx.
 */
export const RETRYABLE_4XX: readonly number[] = [408, 409, 425, 429];

/** The periods the form offers for automatic deactivation (the API takes any number of seconds in range). */
export const DEACTIVATE_AFTER_CHOICES = [
  { seconds: 3_600, label: "1 hour" },
  { seconds: 6 * 3_600, label: "6 hours" },
  { seconds: 12 * 3_600, label: "12 hours" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 3 * 86_400, label: "3 days" },
  { seconds: 7 * 86_400, label: "7 days" },
] as const;

/** A form sends "" for an empty field: that means "not set". */
const blankAsNull = (value: unknown) => (value === "" || value === undefined ? null : value);

const seconds = (label: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${label} must be a number` })
    .int(`${label} must be a whole number of seconds`)
    .min(min, `${label} must be between ${min} and ${max} seconds`)
    .max(max, `${label} must be between ${min} and ${max} seconds`);

export const retryPolicySchema = z
  .object({
    attempts: z.coerce
      .number({ error: "Attempts must be a number" })
      .int("Attempts must be a whole number")
      .min(1, `Attempts must be between 1 and ${MAX_POLICY_ATTEMPTS}`)
      .max(MAX_POLICY_ATTEMPTS, `Attempts must be between 1 and ${MAX_POLICY_ATTEMPTS}`)
      .default(DEFAULT_ATTEMPTS),
    schedule: z.enum(RETRY_SCHEDULES, { error: 'The schedule is "fixed" or "exponential"' }).default("fixed"),
    /**
     * Fixed: the interval between attempts; exponential: the base delay (the first retry waits up to
     * this long, each further one up to twice as long as the one before). Null: the default, 10 s.
     */
    intervalSeconds: z.preprocess(blankAsNull, seconds("The interval", 1, MAX_RETRY_DELAY_SECONDS).nullable()).default(null),
    /** No wait between attempts is longer, whatever the schedule or a Retry-After asks. */
    maxDelaySeconds: z.preprocess(
      (v) => blankAsNull(v) ?? MAX_RETRY_DELAY_SECONDS,
      seconds("The maximum delay", 1, MAX_RETRY_DELAY_SECONDS),
    ).default(MAX_RETRY_DELAY_SECONDS),
    /** A 4xx other than 408, 409, 425 and 429 fails the message at once. */
    failFastOn4xx: z.boolean({ error: "Fail fast on 4xx is true or false" }).default(false),
    /** Set inactive by the system once every attempt has failed for this long; null: never. */
    deactivateAfterSeconds: z
      .preprocess(blankAsNull, seconds("Automatic deactivation", MIN_DEACTIVATE_AFTER_SECONDS, MAX_DEACTIVATE_AFTER_SECONDS).nullable())
      .default(null),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const interval = policy.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
    if (interval > policy.maxDelaySeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["maxDelaySeconds"],
        message: `The maximum delay must be at least the interval (${interval} s)`,
      });
    }
  });

export type RetryPolicy = z.output<typeof retryPolicySchema>;
export type RetryPolicyInput = z.input<typeof retryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicySchema.parse({});

/**
 * A policy as stored on a site row (written through the schema, so valid; `{}` for rows older than
 * the column, which is the default policy). Anything unreadable falls back to the default.
 */
export function storedRetryPolicy(stored: unknown): RetryPolicy {
  const parsed = retryPolicySchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : DEFAULT_RETRY_POLICY;
}

/** "1 h", "24 h", "1 min 30 s", "3 d": a duration in seconds, as the site page shows it. */
export function formatSeconds(total: number): string {
  // Whole hours up to two days read better as hours: "24 h", not "1 d".
  if (total >= 3_600 && total <= 48 * 3_600 && total % 3_600 === 0) return `${total / 3_600} h`;
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let left = total;
  for (const [size, unit] of units) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)} ${unit}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(" ") : "0 s";
}

/** The policy in words, for the site page: "5 attempts, 10 s apart (default)". */
export function describeRetrySchedule(policy: RetryPolicy): string {
  const attempts = `${policy.attempts} attempt${policy.attempts === 1 ? "" : "s"}`;
  if (policy.attempts === 1) return `${attempts} (no retries)`;
  const interval = policy.intervalSeconds === null ? `${DEFAULT_INTERVAL_SECONDS} s (default)` : formatSeconds(policy.intervalSeconds);
  if (policy.schedule === "fixed") return `${attempts}, ${interval} apart`;
  return `${attempts}, exponential backoff with full jitter from ${interval}, at most ${formatSeconds(policy.maxDelaySeconds)} between attempts`;
}
