import { describe, expect, it } from "vitest";
import { decideRetry, retryAfterMs, scheduledDelayMs } from "@/lib/delivery/policy/retry-decision";
import { DEFAULT_RETRY_POLICY, describeRetrySchedule, retryPolicySchema } from "@/lib/delivery/policy/retry-policy";
import { siteFieldsSchema } from "@/lib/trusted-sites/site-fields";

const now = new Date("2026-12-02T03:00:00.000Z");
const policy = (input: Record<string, unknown>) => retryPolicySchema.parse(input);
const decide = (p: ReturnType<typeof policy>, attemptNo: number, answer: Parameters<typeof decideRetry>[2], random = () => 0.5) =>
  decideRetry(p, attemptNo, answer, { defaultIntervalMs: 10_000, now, random });
const failedWith = (responseCode: number | null, retryAfter?: string) => ({ succeeded: false, responseCode, retryAfter });

describe("the default policy", () => {
  it("is the original contract: 5 attempts 10 s apart, then failed", () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ attempts: 5, schedule: "fixed", intervalSeconds: null, failFastOn4xx: false, deactivateAfterSeconds: null });
    for (const n of [1, 2, 3, 4]) expect(decide(DEFAULT_RETRY_POLICY, n, failedWith(500))).toEqual({ retry: true, delayMs: 10_000 });
    expect(decide(DEFAULT_RETRY_POLICY, 5, failedWith(500))).toEqual({ retry: false });
    expect(decide(DEFAULT_RETRY_POLICY, 1, { succeeded: true, responseCode: 200 })).toEqual({ retry: false });
    expect(describeRetrySchedule(DEFAULT_RETRY_POLICY)).toBe("5 attempts, 10 s (default) apart");
  });

  it("takes its interval from the configured default (WEBHOOK_RETRY_INTERVAL_MS), a site's own interval from the site", () => {
    expect(decideRetry(DEFAULT_RETRY_POLICY, 1, failedWith(500), { defaultIntervalMs: 200, now })).toEqual({ retry: true, delayMs: 200 });
    expect(decideRetry(policy({ intervalSeconds: 30 }), 1, failedWith(500), { defaultIntervalMs: 200, now })).toEqual({ retry: true, delayMs: 30_000 });
  });
});

describe("exponential backoff with full jitter", () => {
  const exponential = policy({ attempts: 20, schedule: "exponential", intervalSeconds: 2, maxDelaySeconds: 60 });

  it("waits uniformly within [0, min(max, base · 2^(k−1))] after attempt k", () => {
    for (const k of [1, 2, 3, 4, 5, 6, 10, 19]) {
      const cap = Math.min(60_000, 2_000 * 2 ** (k - 1));
      expect(scheduledDelayMs(exponential, k, 10_000, () => 0)).toBe(0);
      expect(scheduledDelayMs(exponential, k, 10_000, () => 0.999999)).toBeCloseTo(cap, -1);
      const samples = Array.from({ length: 2_000 }, () => scheduledDelayMs(exponential, k, 10_000, Math.random));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(cap);
      // Spread over the whole range, not bunched at one end (full jitter, not "equal jitter").
      expect(samples.filter((d) => d < cap / 4).length).toBeGreaterThan(300);
      expect(samples.filter((d) => d > (3 * cap) / 4).length).toBeGreaterThan(300);
    }
  });

  it("never waits longer than 24 h, whatever the base and attempt", () => {
    const longest = policy({ attempts: 20, schedule: "exponential", intervalSeconds: 86_400 });
    expect(scheduledDelayMs(longest, 19, 10_000, () => 0.999999)).toBeLessThanOrEqual(86_400_000);
    expect(describeRetrySchedule(exponential)).toBe("20 attempts, exponential backoff with full jitter from 2 s, at most 1 min between attempts");
  });
});

describe("Retry-After", () => {
  it("reads delay-seconds and HTTP dates; anything else is ignored", () => {
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
    expect(retryAfterMs("Wed, 02 Dec 2026 03:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Wed, 02 Dec 2026 02:00:00 GMT", now)).toBe(0);
    for (const junk of [undefined, null, "", "-5", "1.5", "soon", "1e3"]) expect(retryAfterMs(junk, now)).toBeNull();
  });

  it("on 429 and 503 lengthens the wait up to the policy's maximum, never shortens it, and is ignored on other codes", () => {
    const p = policy({ intervalSeconds: 5, maxDelaySeconds: 600 });
    expect(decide(p, 1, failedWith(503, "60"))).toEqual({ retry: true, delayMs: 60_000 });
    expect(decide(p, 1, failedWith(429, "Wed, 02 Dec 2026 03:02:00 GMT"))).toEqual({ retry: true, delayMs: 120_000 });
    expect(decide(p, 1, failedWith(429, "86400"))).toEqual({ retry: true, delayMs: 600_000 });
    expect(decide(p, 1, failedWith(503, "1"))).toEqual({ retry: true, delayMs: 5_000 });
    expect(decide(p, 1, failedWith(500, "60"))).toEqual({ retry: true, delayMs: 5_000 });
    // It does not buy an attempt the policy does not have.
    expect(decide(p, 5, failedWith(503, "60"))).toEqual({ retry: false });
  });
});

describe("answers that end the retries", () => {
  it("410 Gone fails the message and asks for the site's deactivation, under any policy", () => {
    expect(decide(DEFAULT_RETRY_POLICY, 1, failedWith(410))).toEqual({ retry: false, goneAt: now });
  });

  it("fail-fast fails at once on a 4xx except 408, 409, 425 and 429; without it every 4xx is retried", () => {
    const fast = policy({ failFastOn4xx: true });
    for (const code of [400, 401, 403, 404, 413, 422, 451]) {
      expect(decide(fast, 1, failedWith(code))).toEqual({ retry: false });
      expect(decide(DEFAULT_RETRY_POLICY, 1, failedWith(code))).toMatchObject({ retry: true });
    }
    for (const code of [408, 409, 425, 429, 500, 502, 503]) expect(decide(fast, 1, failedWith(code))).toMatchObject({ retry: true });
    // No answer at all (timeout, connection refused) is retried.
    expect(decide(fast, 1, failedWith(null))).toMatchObject({ retry: true });
  });
});

describe("the policy's schema (form, API and tests)", () => {
  const issues = (input: unknown) =>
    siteFieldsSchema.safeParse({ name: "n", url: "https://example.com/", authMethod: "none", retryPolicy: input }).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);

  it("names the field at fault", () => {
    expect(issues({ attempts: 21 })).toEqual(["retryPolicy.attempts: Attempts must be between 1 and 20"]);
    expect(issues({ attempts: 0 })).toEqual(["retryPolicy.attempts: Attempts must be between 1 and 20"]);
    expect(issues({ attempts: 1e308 })).toContain("retryPolicy.attempts: Attempts must be between 1 and 20");
    expect(issues({ intervalSeconds: 0.5 })).toEqual(["retryPolicy.intervalSeconds: The interval must be a whole number of seconds"]);
    expect(issues({ intervalSeconds: 120, maxDelaySeconds: 60 })).toEqual(["retryPolicy.maxDelaySeconds: The maximum delay must be at least the interval (120 s)"]);
    expect(issues({ deactivateAfterSeconds: 5 })).toEqual(["retryPolicy.deactivateAfterSeconds: Automatic deactivation must be between 60 and 2592000 seconds"]);
    expect(issues({ schedule: "linear" })).toEqual(['retryPolicy.schedule: The schedule is "fixed" or "exponential"']);
    expect(issues({ failFastOn4xx: "yes" })).toEqual(["retryPolicy.failFastOn4xx: Fail fast on 4xx is true or false"]);
    expect(issues({ retries: 3 })?.[0]).toMatch(/^retryPolicy: /);
    expect(issues("five")?.[0]).toMatch(/^retryPolicy: /);
  });

  it("takes the form's strings: blanks are the defaults", () => {
    expect(
      retryPolicySchema.parse({ attempts: "7", schedule: "exponential", intervalSeconds: "", maxDelaySeconds: "", failFastOn4xx: true, deactivateAfterSeconds: "" }),
    ).toEqual({ attempts: 7, schedule: "exponential", intervalSeconds: null, maxDelaySeconds: 86_400, failFastOn4xx: true, deactivateAfterSeconds: null });
    expect(siteFieldsSchema.parse({ name: "n", url: "https://example.com/", authMethod: "none" }).retryPolicy).toEqual(DEFAULT_RETRY_POLICY);
  });
});
