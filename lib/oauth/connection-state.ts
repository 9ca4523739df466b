import type { Database } from "@/lib/db/client";
import type { SecretBox } from "@/lib/secrets";
import { readSiteToken } from "./site-token";

/** What the site page says about an `oauth2` site's connection; no token, only facts about it. */
export type ConnectionState =
  | { status: "never-connected" }
  | { status: "connected"; expiresAt: string; canRefresh: boolean }
  /** expiresAt is absent when a receiver refused the token (401) and it was dropped before it expired. */
  | { status: "expired"; expiresAt?: string; canRefresh: boolean };

export async function readConnectionState(db: Database, box: SecretBox, siteId: string, now = new Date()): Promise<ConnectionState> {
  const token = await readSiteToken(db, box, siteId);
  if (!token) return { status: "never-connected" };
  const canRefresh = Boolean(token.refreshToken);
  if (!token.accessToken) return { status: "expired", canRefresh };
  const expiresAt = token.expiresAt.toISOString();
  return token.expiresAt.getTime() > now.getTime()
    ? { status: "connected", expiresAt, canRefresh }
    : { status: "expired", expiresAt, canRefresh };
}
