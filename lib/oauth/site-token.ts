import { and, eq, sql } from "drizzle-orm";
import type { CachedToken } from "@/lib/auth-methods/types";
import type { Database } from "@/lib/db/client";
import { trustedSites } from "@/lib/db/schema";
import type { SecretBox } from "@/lib/secrets";
import type { StoredToken } from "./token-freshness";

/**
 * A site's OAuth token as stored with the site (DESIGN §2): `auth_params.access_token` and
 * `auth_params.refresh_token` encrypted, `auth_params.expires_at` and `auth_params.obtained_at` as
 * ISO strings. The Connect flow writes tokens with `writeSiteToken` too, so the format lives here only.
 */

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type Executor = Database | Transaction;

/** The stored token; accessToken is "" when only a refresh token is left (after invalidate). */
export async function readSiteToken(db: Executor, box: SecretBox, siteId: string): Promise<StoredToken | null> {
  const [row] = await db
    .select({ authParams: trustedSites.authParams })
    .from(trustedSites)
    .where(eq(trustedSites.id, siteId));
  if (!row) return null;
  const params = row.authParams;
  const accessToken = open(box, params.access_token);
  const refreshToken = open(box, params.refresh_token);
  const expiresAt = parseDate(params.expires_at);
  if (!refreshToken && (!accessToken || !expiresAt)) return null;
  return {
    accessToken: accessToken && expiresAt ? accessToken : "",
    expiresAt: accessToken && expiresAt ? expiresAt : new Date(0),
    refreshToken,
    obtainedAt: parseDate(params.obtained_at),
  };
}

export async function writeSiteToken(db: Executor, box: SecretBox, siteId: string, token: CachedToken, obtainedAt: Date) {
  const patch: Record<string, string> = {
    access_token: box.encrypt(token.accessToken),
    expires_at: token.expiresAt.toISOString(),
    obtained_at: obtainedAt.toISOString(),
  };
  if (token.refreshToken) patch.refresh_token = box.encrypt(token.refreshToken);
  await db
    .update(trustedSites)
    .set({
      // Merged into the row so that a concurrent edit of the site's other parameters survives.
      authParams: sql`(${trustedSites.authParams} - 'refresh_token') || ${JSON.stringify(patch)}::jsonb`,
      // A token refresh is not an edit of the site.
      updatedAt: sql`${trustedSites.updatedAt}`,
    })
    .where(eq(trustedSites.id, siteId));
}

/**
 * Forgets the access token, keeping the refresh token, if it is still `refused`. The comparison is
 * on the sealed value read (each sealing is unique), so a token another process stored meanwhile
 * is never the one dropped.
 */
export async function forgetRefusedAccessToken(db: Executor, box: SecretBox, siteId: string, refused: string) {
  const [row] = await db.select({ sealed: sql<string | null>`${trustedSites.authParams} ->> 'access_token'` }).from(trustedSites).where(eq(trustedSites.id, siteId));
  if (!row?.sealed || open(box, row.sealed) !== refused) return;
  await db
    .update(trustedSites)
    .set({
      authParams: sql`${trustedSites.authParams} - 'access_token' - 'expires_at' - 'obtained_at'`,
      updatedAt: sql`${trustedSites.updatedAt}`,
    })
    .where(and(eq(trustedSites.id, siteId), sql`${trustedSites.authParams} ->> 'access_token' = ${row.sealed}`));
}

/** A value we cannot decrypt (e.g. after a key change) counts as absent: the site gets a new token. */
function open(box: SecretBox, sealed: unknown): string | undefined {
  if (typeof sealed !== "string") return undefined;
  try {
    return box.decrypt(sealed);
  } catch {
    return undefined;
  }
}

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
