import { and, count, eq, inArray, isNotNull } from "drizzle-orm";
import { AuthorizationError } from "@/lib/auth-methods/types";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { Database } from "@/lib/db/client";
import { siteTokenHealth, webhookMessages } from "@/lib/db/schema";
import type { Executor } from "./site-token";
import { TokenEndpointError } from "./token-request";
import type { TokenRefusal } from "./token-refusal";

export type { TokenRefusal };

/**
 * How a site's OAuth token fetches have gone, as the site page shows it: when a token was last
 * obtained, the last failure in words, and whether the provider refused the grant. Written by the
 * token store (`token-store.ts`) with every fetch it runs, for deliveries, Refresh now and Connect.
 */

/** What a failed fetch leaves for the operator: never a response body, never a credential. */
export interface TokenFetchFailure {
  message: string;
  status?: number;
  code?: string;
  refusal?: TokenRefusal;
}

/** Where a fetch happened: a Connect's failure is not a refusal of the stored grant. */
export type TokenFetchOccasion = "fetch" | "connect";

const CLIENT_REFUSED = new Set(["invalid_client", "unauthorized_client", "access_denied"]);
const MAX_MESSAGE = 500;

export function describeTokenFetchFailure(error: unknown, authMethod: AuthMethod | undefined, occasion: TokenFetchOccasion = "fetch"): TokenFetchFailure {
  const prefix = occasion === "connect" ? "Connect: " : "";
  if (error instanceof TokenEndpointError) {
    const refusal = occasion === "connect" ? undefined : refusalOf(error, authMethod);
    return {
      message: (prefix + error.message).slice(0, MAX_MESSAGE),
      status: error.status,
      ...(error.code ? { code: error.code } : {}),
      ...(refusal ? { refusal } : {}),
    };
  }
  // AuthorizationError messages are written to name no secret (they are the attempts' errors too).
  if (error instanceof AuthorizationError) return { message: (prefix + error.message).slice(0, MAX_MESSAGE) };
  return { message: `${prefix}the token could not be obtained (an unexpected ${error instanceof Error ? error.name : "error"})` };
}

function refusalOf(error: TokenEndpointError, authMethod: AuthMethod | undefined): TokenRefusal | undefined {
  if (error.code === "invalid_grant") return authMethod === "oauth2" ? "needs_reauthorization" : "credentials_refused";
  if (error.code ? CLIENT_REFUSED.has(error.code) : error.status === 401 || error.status === 403) return "credentials_refused";
  return undefined;
}

/** A token was obtained and stored: any refusal is over. */
export async function recordTokenObtained(db: Executor, siteId: string, at: Date): Promise<void> {
  await db
    .insert(siteTokenHealth)
    .values({ siteId, lastObtainedAt: at })
    .onConflictDoUpdate({ target: siteTokenHealth.siteId, set: { lastObtainedAt: at, refusal: null, refusedAt: null } });
}

/** A fetch failed; a refusal is kept until a token is obtained again, whatever fails meanwhile. */
export async function recordTokenFetchFailed(db: Executor, siteId: string, failure: TokenFetchFailure, at: Date): Promise<void> {
  const error = {
    lastErrorAt: at,
    lastError: failure.message,
    lastErrorStatus: failure.status ?? null,
    lastErrorCode: failure.code ?? null,
  };
  const refusal = failure.refusal ? { refusal: failure.refusal, refusedAt: at } : {};
  await db
    .insert(siteTokenHealth)
    .values({ siteId, ...error, ...refusal })
    .onConflictDoUpdate({ target: siteTokenHealth.siteId, set: { ...error, ...refusal } });
}

export interface TokenHealth {
  lastObtainedAt: string | null;
  lastError: { at: string; message: string; status: number | null; code: string | null } | null;
  refusal: { kind: TokenRefusal; at: string } | null;
  /** Messages to the site still queued or waiting for a retry (their attempts fail while it is refused). */
  waitingMessages: number;
}

export async function readTokenHealth(db: Database, siteId: string): Promise<TokenHealth> {
  const [[row], [waiting]] = await Promise.all([
    db.select().from(siteTokenHealth).where(eq(siteTokenHealth.siteId, siteId)),
    db
      .select({ n: count() })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.siteId, siteId), inArray(webhookMessages.status, ["queued", "resent"]))),
  ]);
  return {
    lastObtainedAt: row?.lastObtainedAt?.toISOString() ?? null,
    lastError:
      row?.lastErrorAt && row.lastError
        ? { at: row.lastErrorAt.toISOString(), message: row.lastError, status: row.lastErrorStatus, code: row.lastErrorCode }
        : null,
    refusal: row?.refusal && row.refusedAt ? { kind: row.refusal, at: row.refusedAt.toISOString() } : null,
    waitingMessages: waiting?.n ?? 0,
  };
}

/** The sites whose provider refused their grant, for the sites list (few rows: refusals are rare). */
export async function refusedSites(db: Database): Promise<Map<string, TokenRefusal>> {
  const rows = await db
    .select({ siteId: siteTokenHealth.siteId, refusal: siteTokenHealth.refusal })
    .from(siteTokenHealth)
    .where(isNotNull(siteTokenHealth.refusal));
  return new Map(rows.flatMap((r) => (r.refusal ? [[r.siteId, r.refusal] as const] : [])));
}
