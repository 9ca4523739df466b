import { describe, expect, it } from "vitest";
import { ConfigError, readEnv } from "@/lib/env";

describe("readEnv", () => {
  it("defaults to the embedded database and the local engine", () => {
    const env = readEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.WEBHOOK_ENGINE).toBe("local");
    expect(env.DATA_DIR).toBe(".data");
  });

  it("treats an empty DATABASE_URL as unset", () => {
    expect(readEnv({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  it("rejects a DATABASE_URL that is not a postgres URL, naming the variable", () => {
    expect(() => readEnv({ DATABASE_URL: "mysql://x" })).toThrow(ConfigError);
    expect(() => readEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL must start with postgres:\/\//);
  });

  it("rejects an unknown engine", () => {
    expect(() => readEnv({ WEBHOOK_ENGINE: "kafka" })).toThrow(/WEBHOOK_ENGINE/);
  });
});
