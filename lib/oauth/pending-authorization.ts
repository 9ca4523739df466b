import { createHash, randomUUID } from "node:crypto";
import { and, eq, like, lt } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "@/lib/backoffice-auth/actor";
import type { Database } from "@/lib/db/client";
import { verifications } from "@/lib/db/schema";
import type { SecretBox } from "@/lib/secrets";

/**
 * Authorizations in progress between Connect and the callback, kept server-side in better-auth's
 * generic `verifications` table (no schema of our own): one row per `state`, deleted on first use.
 * The row is found by a hash of the state, so the table alone cannot complete a flow; the PKCE
 * code verifier is encrypted.
 */

const PREFIX = "oauth-connect:";
/** How long a user has to approve at the provider. */
export const PENDING_AUTHORIZATION_TTL_MS = 10 * 60_000;

export interface PendingAuthorization {
  siteId: string;
  codeVerifier: string;
  /** The redirect_uri sent with the authorization request: the code exchange must repeat it (RFC 6749 §4.1.3). */
  redirectUri: string;
  /** Who pressed Connect, for the audit trail (the callback itself carries no session). */
  actor: Actor;
}

const storedValue = z.object({
  siteId: z.string(),
  codeVerifier: z.string(),
  redirectUri: z.string(),
  actor: z.union([
    z.object({ kind: z.literal("user"), userId: z.string(), email: z.string() }),
    z.object({ kind: z.literal("api-token"), tokenId: z.string(), name: z.string() }),
  ]),
});

export type ConsumedAuthorization =
  | { found: true; expired: boolean; pending: PendingAuthorization }
  | { found: false };

export async function savePendingAuthorization(
  db: Database,
  box: SecretBox,
  state: string,
  pending: PendingAuthorization,
  now: Date,
): Promise<void> {
  const value = { ...pending, codeVerifier: box.encrypt(pending.codeVerifier) };
  // Abandoned flows would otherwise stay forever: each new one sweeps the expired ones.
  await db.delete(verifications).where(and(like(verifications.identifier, `${PREFIX}%`), lt(verifications.expiresAt, now)));
  await db.insert(verifications).values({
    id: randomUUID(),
    identifier: identifierOf(state),
    value: JSON.stringify(value),
    expiresAt: new Date(now.getTime() + PENDING_AUTHORIZATION_TTL_MS),
  });
}

/** Takes the authorization started with `state` out of the table: a state works once, whatever the outcome. */
export async function consumePendingAuthorization(
  db: Database,
  box: SecretBox,
  state: string,
  now: Date,
): Promise<ConsumedAuthorization> {
  const [row] = await db
    .delete(verifications)
    .where(eq(verifications.identifier, identifierOf(state)))
    .returning({ value: verifications.value, expiresAt: verifications.expiresAt });
  if (!row) return { found: false };
  const parsed = storedValue.safeParse(safeJson(row.value));
  if (!parsed.success) return { found: false };
  let codeVerifier: string;
  try {
    codeVerifier = box.decrypt(parsed.data.codeVerifier);
  } catch {
    // Sealed under another key (APP_ENCRYPTION_KEY changed meanwhile): unusable, so unknown.
    return { found: false };
  }
  return {
    found: true,
    expired: row.expiresAt.getTime() <= now.getTime(),
    pending: { ...parsed.data, codeVerifier },
  };
}

function identifierOf(state: string): string {
  return PREFIX + createHash("sha256").update(state).digest("base64url");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
