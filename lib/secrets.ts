import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import path from "node:path";
import { ConfigError, dataDir, readEnv } from "./env";
import { readOrCreateKeyFile } from "./key-file";

/**
 * Encryption of secret fields at rest (DESIGN §9): AES-256-GCM, a fresh IV per value, the key from
 * APP_ENCRYPTION_KEY (32 bytes, base64) or, for local development, a key file generated in DATA_DIR.
 */
const PREFIX = "enc:v1:";

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export function isEncrypted(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(PREFIX);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new ConfigError("APP_ENCRYPTION_KEY must be 32 bytes, base64-encoded");
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, data, cipher.getAuthTag()]).toString("base64url");
    },
    decrypt(sealed) {
      if (!isEncrypted(sealed)) throw new Error("not an encrypted value");
      const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    },
  };
}

/** Reads APP_ENCRYPTION_KEY (refusing a malformed one), or the local key file, creating it once. */
export function loadEncryptionKey(source: Record<string, string | undefined> = process.env): Buffer {
  const configured = source.APP_ENCRYPTION_KEY?.trim();
  if (configured) {
    const key = Buffer.from(configured, "base64");
    if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(configured) || key.length !== 32) {
      throw new ConfigError("APP_ENCRYPTION_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32)");
    }
    return key;
  }
  const file = path.join(dataDir(readEnv(source)), "encryption.key");
  return Buffer.from(readOrCreateKeyFile(file), "base64");
}

let box: SecretBox | undefined;

/** The process's secret box (key loaded once). */
export function secrets(): SecretBox {
  box ??= createSecretBox(loadEncryptionKey());
  return box;
}
