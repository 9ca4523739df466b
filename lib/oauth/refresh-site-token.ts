import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import type { AuthContext } from "@/lib/auth-methods/types";
import { isTokenMethod } from "@/lib/auth-methods/method-names";
import type { Actor } from "@/lib/backoffice-auth/actor";
import type { Database } from "@/lib/db/client";
import { authorizeRequest } from "@/lib/delivery/authorize-request";
import { AuthorizeFailure } from "@/lib/delivery/delivery-errors";
import { AppError, ConflictError } from "@/lib/errors";
import type { SecretBox } from "@/lib/secrets";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { readSiteToken } from "./site-token";
import { isFresh } from "./token-freshness";
import { createDatabaseTokenStore } from "./token-store";

export interface RefreshContext {
  fetch: typeof fetch;
  /** Who asked: the audit trail names them. */
  actor: Actor;
  now?: () => Date;
}

export class TokenRefreshError extends AppError {
  constructor(message: string) {
    super(502, "token_refresh_failed", message);
  }
}

/**
 * Gets the site a new access token now (the site page's "Refresh now"), the way a delivery does:
 * the site's method asks its token store, which fetches once per site under the store's lock,
 * stores the token encrypted and records the fetch in the site's token health. For `oauth2` that is
 * the refresh-token exchange; for the client-credentials and private-key methods a new token
 * request. A fresh cached token is forgotten first, as after a 401, so that the fetch happens anyway. Audited; returns the new expiry.
 */
export async function refreshSiteToken(db: Database, box: SecretBox, siteId: string, ctx: RefreshContext): Promise<{ expiresAt: Date }> {
  const site = await getSiteOrThrow(db, siteId);
  if (!isTokenMethod(site.authMethod)) {
    throw new ConflictError("This site does not use an OAuth method, so it has no access token to refresh");
  }
  const stored = await readSiteToken(db, box, siteId);
  if (site.authMethod === "oauth2" && !stored?.refreshToken) {
    throw new ConflictError("The site has no refresh token: press Connect to connect it to its OAuth provider");
  }
  const now = ctx.now ?? (() => new Date());
  const tokens = createDatabaseTokenStore(db, box, { now });
  const authContext: AuthContext = {
    siteId,
    // No message is being delivered; the OAuth methods do not look at it.
    message: { id: "", action: "", customerId: "", createdAt: now() },
    now,
    fetch: ctx.fetch,
    tokens,
  };
  // An expired token is replaced anyway; forgetting it would lose when it expired.
  if (isFresh(stored, now())) await tokens.invalidate(siteId, stored.accessToken);
  try {
    await authorizeRequest({ method: "POST", url: site.url, headers: {}, body: "" }, site, box, authContext);
  } catch (error) {
    if (error instanceof AuthorizeFailure) {
      throw new TokenRefreshError(`The access token was not refreshed: ${error.message.replace(/^authorization failed: /, "")}`);
    }
    throw error;
  }
  const renewed = await readSiteToken(db, box, siteId);
  const expiresAt = renewed!.expiresAt;
  await recordAuditEvent(db, { actor: ctx.actor, action: "site.token_refreshed", siteId, details: { expiresAt: expiresAt.toISOString() } });
  return { expiresAt };
}
