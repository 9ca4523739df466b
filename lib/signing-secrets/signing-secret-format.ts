import { randomBytes } from "node:crypto";

/** Standard Webhooks' secret format: `whsec_` and the base64 of the key bytes (24 to 64 of them). */
const PREFIX = "whsec_";
const KEY_BYTES = 32;

/** A new secret, shown to the operator once; the HMAC key is its decoded part. */
export function generateSigningSecret(): { secret: string; prefix: string } {
  const secret = PREFIX + randomBytes(KEY_BYTES).toString("base64");
  return { secret, prefix: secret.slice(0, PREFIX.length + 4) };
}

/** The HMAC-SHA256 key a secret stands for. */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error("not a whsec_ secret");
  return Buffer.from(secret.slice(PREFIX.length), "base64");
}
