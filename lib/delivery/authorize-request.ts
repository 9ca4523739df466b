import type { AuthMethod } from "../auth-methods/method-names";
import { authMethodModule } from "../auth-methods/registry";
import { openParams, withoutTokenState } from "../auth-methods/stored-params";
import { AuthorizationError, type AuthContext, type OutgoingRequest } from "../auth-methods/types";
import { findOutboundRefusal } from "../outbound/refused-error";
import type { SecretBox } from "../secrets";
import { AuthorizeFailure } from "./delivery-errors";

export interface SiteCredentials {
  authMethod: AuthMethod;
  /** As stored: secret fields encrypted. */
  authParams: Record<string, unknown>;
}

/**
 * Signs the request with the site's method (DESIGN §6). Anything that keeps the credentials from
 * being used — parameters that no longer decrypt or validate, a token endpoint that refuses —
 * becomes an AuthorizeFailure whose message names the problem, never a secret.
 */
export async function authorizeRequest(
  request: OutgoingRequest,
  site: SiteCredentials,
  box: SecretBox,
  ctx: AuthContext,
): Promise<OutgoingRequest> {
  const method = authMethodModule(site.authMethod);
  let params: Record<string, unknown>;
  try {
    params = openParams(site.authMethod, site.authParams, box);
  } catch {
    throw new AuthorizeFailure("the site's secret parameters cannot be decrypted (was APP_ENCRYPTION_KEY changed?): enter them again");
  }
  const parsed = method.schema.safeParse(withoutTokenState(params));
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "parameters"))].join(", ");
    throw new AuthorizeFailure(`the site's ${method.label} settings are incomplete or invalid (${fields}): edit the site`);
  }
  try {
    // Token state (access_token, …) stays available to the OAuth methods, as stored with the site.
    return await method.authorize(request, { ...params, ...parsed.data }, ctx);
  } catch (error) {
    throw new AuthorizeFailure(describeAuthorizeError(error));
  }
}

/** What keeps a method from authorizing, in words that quote no parameter. */
export function describeAuthorizeError(error: unknown): string {
  if (error instanceof AuthorizationError) return `authorization failed: ${error.message}`;
  const refusal = findOutboundRefusal(error);
  if (refusal) return `authorization failed: ${refusal.message}`;
  if (error instanceof Error && error.name === "TimeoutError") return "authorization failed: the token endpoint did not answer in time";
  // An unexpected error's text could quote parameters; only its kind is recorded.
  return `authorization failed (${error instanceof Error ? error.name : "unknown error"})`;
}

/**
 * The receiver answered 401 to `refused`: a method with cached credentials drops them, so that the
 * next authorization gets new ones. True when it did (the request is worth sending again).
 */
export async function forgetCredentials(site: SiteCredentials, ctx: AuthContext, refused: OutgoingRequest): Promise<boolean> {
  const forget = authMethodModule(site.authMethod).onUnauthorized;
  if (!forget) return false;
  await forget(ctx, refused);
  return true;
}
