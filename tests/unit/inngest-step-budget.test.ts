import { describe, expect, it } from "vitest";
import { readEnv, readInngestStepMaxMs } from "@/lib/env";
import { DEFAULT_INNGEST_STEP_MAX_MS, siteTimeoutRefusal, stepBudget, stepWorstCaseMs } from "@/lib/inngest/step-budget";

/** The SDK's last checkpoint and the response, after the last step of a request. */
const RESPONSE_MARGIN_MS = 3_000;

describe("the Inngest step budget (INNGEST_STEP_MAX_MS = the host's limit on one request to /api/inngest)", () => {
  it.each([20_000, 30_000, 60_000, 120_000, 300_000])("host limit %i ms: a request running steps until maxRuntime and then one worst-case step ends before the limit", (hostLimitMs) => {
    const budget = stepBudget(hostLimitMs);
    expect(budget.maxSiteTimeoutMs).toBeGreaterThanOrEqual(1_000);
    for (let timeoutMs = 1_000; timeoutMs <= 60_000; timeoutMs += 500) {
      const worst = stepWorstCaseMs(budget, timeoutMs);
      expect(worst).toBeLessThanOrEqual(budget.stepMaxMs);
      expect(budget.maxRuntimeMs + worst + RESPONSE_MARGIN_MS).toBeLessThanOrEqual(hostLimitMs);
    }
  });

  it("the default (300 s, the route's maxDuration) fits every site timeout the form allows (up to 60 s), with the SDK's 10 s maxRuntime", () => {
    const budget = stepBudget(DEFAULT_INNGEST_STEP_MAX_MS);
    expect(budget).toMatchObject({ hostLimitMs: 300_000, maxRuntimeMs: 10_000, maxSiteTimeoutMs: 60_000 });
    expect(siteTimeoutRefusal(budget, 60_000)).toBeNull();
  });

  it("a 60 s host limit: the longest site timeout is just under 9.9 s, and a longer one is refused with the reason", () => {
    const budget = stepBudget(60_000);
    expect(budget).toMatchObject({ maxRuntimeMs: 6_000, stepMaxMs: 51_000, databaseRetryMs: 5_100, maxSiteTimeoutMs: 9_883 });
    expect(siteTimeoutRefusal(budget, 9_883)).toBeNull();
    expect(siteTimeoutRefusal(budget, 9_884)).toBe(
      "Timeout must be at most 9883 ms with Inngest deliveries: a request to /api/inngest may run 60 s on this host (INNGEST_STEP_MAX_MS), and one attempt can wait for a token fetch and the send, each up to the timeout",
    );
  });

  it("INNGEST_STEP_MAX_MS is a whole number of ms between 20 s and the route's maxDuration", () => {
    expect(readEnv({}).INNGEST_STEP_MAX_MS).toBe(300_000);
    expect(readEnv({ INNGEST_STEP_MAX_MS: "60000" }).INNGEST_STEP_MAX_MS).toBe(60_000);
    expect(() => readEnv({ INNGEST_STEP_MAX_MS: "10000" })).toThrow(/^INNGEST_STEP_MAX_MS must be at least 20000 \(no site timeout fits in less\)/);
    expect(() => readEnv({ INNGEST_STEP_MAX_MS: "400000" })).toThrow(/^INNGEST_STEP_MAX_MS must be at most 300000, the maxDuration of app\/api\/inngest\/route.ts/);
    expect(() => readEnv({ INNGEST_STEP_MAX_MS: "a minute" })).toThrow(/^INNGEST_STEP_MAX_MS /);
    // What the Inngest client reads when it is created (also at build time), checked the same way.
    expect(readInngestStepMaxMs({})).toBe(300_000);
    expect(readInngestStepMaxMs({ INNGEST_STEP_MAX_MS: "60000", WEBHOOK_ENGINE: "inngest", NODE_ENV: "production" })).toBe(60_000);
    expect(() => readInngestStepMaxMs({ INNGEST_STEP_MAX_MS: "400000" })).toThrow(/^INNGEST_STEP_MAX_MS must be at most 300000/);
  });
});
