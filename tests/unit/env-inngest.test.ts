import { Inngest } from "inngest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, readEnv } from "@/lib/env";
import { inngestDevMode } from "@/lib/inngest/dev-mode";

const production = { NODE_ENV: "production", WEBHOOK_ENGINE: "inngest" };
const keys = { INNGEST_EVENT_KEY: "e", INNGEST_SIGNING_KEY: "s" };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("readEnv with WEBHOOK_ENGINE=inngest", () => {
  it("needs the event and signing keys in production, naming the missing one and never a value", () => {
    expect(() => readEnv(production)).toThrow(ConfigError);
    expect(() => readEnv({ ...production, INNGEST_SIGNING_KEY: "signkey-prod-secret" })).toThrow(/^INNGEST_EVENT_KEY is required/);
    expect(() => readEnv({ ...production, INNGEST_EVENT_KEY: "event-secret" })).toThrow(/^INNGEST_SIGNING_KEY is required/);
    expect(readEnv({ ...production, ...keys }).WEBHOOK_ENGINE).toBe("inngest");
  });

  it("needs no keys in development, or with the local engine", () => {
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest" })).not.toThrow();
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest", INNGEST_DEV: "1" })).not.toThrow();
    expect(() => readEnv({ NODE_ENV: "production" })).not.toThrow();
    // The local engine serves no Inngest endpoint (404), so dev mode opens nothing there.
    expect(() => readEnv({ NODE_ENV: "production", INNGEST_DEV: "1" })).not.toThrow();
  });
});

describe("INNGEST_DEV, read exactly as the inngest SDK reads it", () => {
  const values = ["", "0", "1", "true", "TRUE", " True ", "false", "FALSE", " 0 ", "yes", "no", "undefined", "http://localhost:8288", "localhost:8288", "https://dev.example:8288/"];

  it.each(values)("%j: the same mode and dev server URL as the SDK's client", (value) => {
    vi.stubEnv("INNGEST_DEV", value);
    // The client reads process.env when it is created.
    const client = new Inngest({ id: "parse-check" });
    const ours = inngestDevMode(value);
    expect(ours.mode).toBe(client.mode);
    if (ours.mode === "dev" && ours.url) expect(client.apiBaseUrl).toBe(ours.url);
    if (ours.mode === "cloud") expect(client.apiBaseUrl).toMatch(/^https:\/\/api\.inngest\.com/);
  });

  it('"" and "FALSE" are cloud mode (the SDK\'s reading), so production still needs both keys', () => {
    for (const value of ["", "FALSE", " false ", "0"]) {
      expect(() => readEnv({ ...production, INNGEST_DEV: value }), value).toThrow(/INNGEST_(EVENT|SIGNING)_KEY is required/);
      expect(readEnv({ ...production, ...keys, INNGEST_DEV: value }).WEBHOOK_ENGINE).toBe("inngest");
    }
  });

  it('refuses a value the SDK would take for a URL without a scheme ("yes" → http://yes)', () => {
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest", INNGEST_DEV: "yes" })).toThrow(/^INNGEST_DEV is neither .* http:\/\/yes\//);
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest", INNGEST_DEV: "no" })).toThrow(/^INNGEST_DEV is neither .* http:\/\/no\//);
    // The SDK special-cases the text "undefined": cloud mode.
    expect(() => readEnv({ ...production, INNGEST_DEV: "undefined" })).toThrow(/INNGEST_EVENT_KEY is required/);
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest", INNGEST_DEV: "http://localhost:8288" })).not.toThrow();
  });

  it("refuses to start in production in dev mode (unsigned calls accepted) unless explicitly allowed", () => {
    for (const value of ["1", "TRUE", "http://inngest.internal:8288"]) {
      expect(() => readEnv({ ...production, ...keys, INNGEST_DEV: value }), value).toThrow(/^INNGEST_DEV turns on Inngest dev mode.*ALLOW_INNGEST_DEV_IN_PRODUCTION=true/);
      expect(readEnv({ ...production, INNGEST_DEV: value, ALLOW_INNGEST_DEV_IN_PRODUCTION: "true" }).ALLOW_INNGEST_DEV_IN_PRODUCTION).toBe(true);
    }
    expect(() => readEnv({ ...production, INNGEST_DEV: "1", ALLOW_INNGEST_DEV_IN_PRODUCTION: "yes" })).toThrow(/^ALLOW_INNGEST_DEV_IN_PRODUCTION must be "true" or "false"/);
    expect(() => readEnv({ ...production, INNGEST_DEV: "1", ALLOW_INNGEST_DEV_IN_PRODUCTION: "false" })).toThrow(/^INNGEST_DEV turns on/);
  });
});
