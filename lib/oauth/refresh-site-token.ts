import { oauth2Method } from "@/lib/auth-methods/oauth2";
import { AuthorizationError, type AuthContext } from "@/lib/auth-methods/types";
import type { Database } from "@/lib/db/client";
import { AppError, ConflictError } from "@/lib/errors";
import type { SecretBox } from "@/lib/secrets";
import { loadOAuth2Site } from "./oauth2-site";
import { readSiteToken } from "./site-token";
import { isFresh } from "./token-freshness";
import { createDatabaseTokenStore } from "./token-store";

export interface RefreshContext {
  fetch: typeof fetch;
  now?: () => Date;
}

export class TokenRefreshError extends AppError {
  constructor(message: string) {
    super(502, "token_refresh_failed", message);
  }
}

/**
 * Refreshes the site's access token now (the site page's "Refresh access token"), the way a delivery
 * does: the oauth2 method asks the site's token store, which exchanges the refresh token once per
 * site, under the store's lock, and stores the new tokens encrypted. A token that is still fresh is
 * forgotten first, as after a 401, so that the exchange happens anyway. Returns the new expiry.
 */
export async function refreshSiteToken(db: Database, box: SecretBox, siteId: string, ctx: RefreshContext): Promise<{ expiresAt: Date }> {
  const { site, params } = await loadOAuth2Site(db, box, siteId);
  const stored = await readSiteToken(db, box, siteId);
  if (!stored?.refreshToken) {
    throw new ConflictError("The site has no refresh token: press Connect to connect it to its OAuth provider");
  }
  const now = ctx.now ?? (() => new Date());
  const tokens = createDatabaseTokenStore(db, box, { now });
  const authContext: AuthContext = {
    siteId,
    // No message is being delivered; the oauth2 method does not look at it.
    message: { id: "", action: "", customerId: "", createdAt: now() },
    now,
    fetch: ctx.fetch,
    tokens,
  };
  if (isFresh(stored, now())) await tokens.invalidate(siteId, stored.accessToken);
  try {
    await oauth2Method.authorize({ method: "POST", url: site.url, headers: {}, body: "" }, params, authContext);
  } catch (error) {
    if (error instanceof AuthorizationError) throw new TokenRefreshError(`The access token was not refreshed: ${error.message}`);
    throw error;
  }
  const renewed = await readSiteToken(db, box, siteId);
  return { expiresAt: renewed!.expiresAt };
}
