import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "@/lib/env";

describe("readEnv with WEBHOOK_ENGINE=inngest", () => {
  const production = { NODE_ENV: "production", WEBHOOK_ENGINE: "inngest" };

  it("needs the event and signing keys in production, naming the missing one and never a value", () => {
    expect(() => readEnv(production)).toThrow(ConfigError);
    expect(() => readEnv({ ...production, INNGEST_SIGNING_KEY: "signkey-prod-secret" })).toThrow(/^INNGEST_EVENT_KEY is required/);
    expect(() => readEnv({ ...production, INNGEST_EVENT_KEY: "event-secret" })).toThrow(/^INNGEST_SIGNING_KEY is required/);
    expect(readEnv({ ...production, INNGEST_EVENT_KEY: "e", INNGEST_SIGNING_KEY: "s" }).WEBHOOK_ENGINE).toBe("inngest");
  });

  it("needs no keys against a dev server, in development, or with the local engine", () => {
    expect(() => readEnv({ ...production, INNGEST_DEV: "1" })).not.toThrow();
    expect(() => readEnv({ ...production, INNGEST_DEV: "http://localhost:8288" })).not.toThrow();
    expect(() => readEnv({ ...production, INNGEST_DEV: "0" })).toThrow(ConfigError);
    expect(() => readEnv({ WEBHOOK_ENGINE: "inngest" })).not.toThrow();
    expect(() => readEnv({ NODE_ENV: "production" })).not.toThrow();
  });
});
