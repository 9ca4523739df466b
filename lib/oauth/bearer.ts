import type { AuthContext, CachedToken, OutgoingRequest } from "@/lib/auth-methods/types";

/** The request with `Authorization: Bearer <token>` (RFC 6750 §2.1), leaving the input untouched. */
export function withBearer(request: OutgoingRequest, accessToken: string): OutgoingRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${accessToken}` } };
}

/** Authorizes with the site's cached access token, fetching one through the store when needed. */
export async function authorizeWithSiteToken(
  request: OutgoingRequest,
  ctx: AuthContext,
  fetchToken: (expired: CachedToken | null) => Promise<CachedToken>,
): Promise<OutgoingRequest> {
  const token = await ctx.tokens.getOrFetch(ctx.siteId, fetchToken);
  return withBearer(request, token.accessToken);
}

/** The receiver refused the token the request carried (401): the next authorization fetches a new one, unless another send already did. */
export async function forgetSiteToken(ctx: AuthContext, refused: OutgoingRequest): Promise<void> {
  const token = /^Bearer (.+)$/.exec(refused.headers.authorization ?? "")?.[1];
  if (token) await ctx.tokens.invalidate(ctx.siteId, token);
}
