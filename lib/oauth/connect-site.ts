import * as oidc from "openid-client";
import type { Actor } from "@/lib/backoffice-auth/actor";
import type { Database } from "@/lib/db/client";
import type { SecretBox } from "@/lib/secrets";
import { oauthRedirectUrl } from "@/lib/trusted-sites/oauth-redirect-url";
import { loadOAuth2Site } from "./oauth2-site";
import { savePendingAuthorization } from "./pending-authorization";

export interface ConnectRequest {
  siteId: string;
  /** The app's public origin, from which the Redirect URL shown on the site page is built. */
  origin: string;
  actor: Actor;
  now?: Date;
}

/**
 * Starts the authorization-code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636): remembers a fresh
 * one-time state and code verifier, and returns the site's authorization URL to send the user to.
 */
export async function startConnect(db: Database, box: SecretBox, request: ConnectRequest): Promise<URL> {
  const { params } = await loadOAuth2Site(db, box, request.siteId);
  const state = oidc.randomState();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const redirectUri = oauthRedirectUrl(request.origin, request.siteId);
  await savePendingAuthorization(
    db,
    box,
    state,
    { siteId: request.siteId, codeVerifier, redirectUri, actor: request.actor },
    request.now ?? new Date(),
  );

  // openid-client builds the URL from the endpoint alone: the site configures endpoints, not an
  // issuer to discover, so the issuer here is only a placeholder the library requires.
  const authorizationUrl = new URL(params.authorizationUrl);
  const config = new oidc.Configuration(
    { issuer: authorizationUrl.origin, authorization_endpoint: params.authorizationUrl, token_endpoint: params.tokenUrl },
    params.consumerKey,
  );
  // An http:// authorization URL is the operator's choice (the form accepts it): only the browser goes there.
  if (authorizationUrl.protocol === "http:") oidc.allowInsecureRequests(config);
  const parameters: Record<string, string> = {
    redirect_uri: redirectUri,
    response_type: params.responseType,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  };
  if (params.scope) parameters.scope = params.scope;
  // OpenID Connect Core §11: a provider honours offline_access (and so issues a refresh token) only
  // when the user is asked for consent. Plain OAuth 2.0 servers ignore the parameter (RFC 6749 §3.1).
  if (params.scope?.split(/\s+/).includes("offline_access")) parameters.prompt = "consent";
  return oidc.buildAuthorizationUrl(config, parameters);
}
