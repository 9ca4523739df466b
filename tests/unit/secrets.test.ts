import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@/lib/env";
import { createSecretBox, isEncrypted, loadEncryptionKey } from "@/lib/secrets";

describe("secret encryption at rest", () => {
  const box = createSecretBox(randomBytes(32));

  it("round-trips, with a fresh ciphertext each time and no clear text inside", () => {
    const a = box.encrypt("hunter2-é");
    const b = box.encrypt("hunter2-é");
    expect(a).not.toBe(b);
    expect(isEncrypted(a)).toBe(true);
    expect(a).not.toContain("hunter2");
    expect(box.decrypt(a)).toBe("hunter2-é");
  });

  it("refuses a tampered value or another key", () => {
    const sealed = box.encrypt("secret");
    // The character before the last (the last one also carries unused bits): changed, whatever it was.
    const at = sealed.length - 2;
    const flipped = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
    expect(flipped).not.toBe(sealed);
    expect(() => box.decrypt(flipped)).toThrow();
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow();
  });

  it("refuses a malformed APP_ENCRYPTION_KEY", () => {
    expect(() => loadEncryptionKey({ APP_ENCRYPTION_KEY: "too-short" })).toThrow(ConfigError);
    expect(() => loadEncryptionKey({ APP_ENCRYPTION_KEY: randomBytes(16).toString("base64") })).toThrow(/32 random bytes/);
    const good = randomBytes(32);
    expect(loadEncryptionKey({ APP_ENCRYPTION_KEY: good.toString("base64") })).toEqual(good);
  });

  it("generates a local key file once and reuses it", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-key-"));
    try {
      const first = loadEncryptionKey({ DATA_DIR: dir });
      const second = loadEncryptionKey({ DATA_DIR: dir });
      expect(first).toHaveLength(32);
      expect(second).toEqual(first);
      expect((await fs.stat(path.join(dir, "encryption.key"))).mode & 0o777).toBe(0o600);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
