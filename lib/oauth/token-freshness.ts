import type { CachedToken } from "@/lib/auth-methods/types";

/** A cached token and when we obtained it (unknown for tokens stored by older code). */
export interface StoredToken extends CachedToken {
  obtainedAt?: Date;
}

/** A token is replaced this long before it expires, at most: clocks drift and requests take time. */
export const MAX_EXPIRY_MARGIN_MS = 60_000;

/**
 * The margin is 60 s or a tenth of the token's lifetime, whichever is smaller, so that a token that
 * lives one minute is still reused for 54 s instead of being fetched again for every send.
 */
export function expiryMarginMs(token: StoredToken): number {
  if (!token.obtainedAt) return MAX_EXPIRY_MARGIN_MS;
  const lifetime = token.expiresAt.getTime() - token.obtainedAt.getTime();
  return Math.max(0, Math.min(MAX_EXPIRY_MARGIN_MS, lifetime / 10));
}

export function isFresh(token: StoredToken | null | undefined, now: Date): token is StoredToken {
  return !!token && token.accessToken !== "" && now.getTime() < token.expiresAt.getTime() - expiryMarginMs(token);
}

/** The expiry of a token issued now: the server's expires_in, capped by our own limit, if any. */
export function expiresAtFrom(now: Date, expiresInSeconds: number | undefined, capSeconds = Infinity): Date {
  const seconds = Math.min(expiresInSeconds ?? capSeconds, capSeconds);
  return new Date(now.getTime() + seconds * 1000);
}
