import { createHash, randomBytes } from "node:crypto";

const PREFIX = "tsw_";

/** A new API token: shown to its creator once; only its hash is stored. */
export function generateApiToken() {
  const token = PREFIX + randomBytes(32).toString("base64url");
  return { token, tokenHash: hashApiToken(token), prefix: token.slice(0, PREFIX.length + 6) };
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(PREFIX) && value.length > PREFIX.length + 20;
}
