import { z } from "zod";
import { explainBearerToken } from "@/lib/oauth/token-response-view";
import { authorizeWithSiteToken, forgetSiteToken } from "@/lib/oauth/bearer";
import { optionalText, scopeField, tokenUrlField } from "@/lib/oauth/token-endpoint-fields";
import { expiresAtFrom } from "@/lib/oauth/token-freshness";
import { requestToken, TokenEndpointError } from "@/lib/oauth/token-request";
import { httpUrl, requiredText } from "./common-fields";
import { AuthorizationError, type AuthContext, type AuthMethodModule, type CachedToken } from "./types";

/** RFC 6749 §5.1 lets a server omit expires_in; such a token is used for an hour, then refreshed (or a 401 refreshes it sooner). */
const DEFAULT_LIFETIME_SECONDS = 3600;

const schema = z.object({
  consumerKey: requiredText("Consumer key"),
  consumerSecret: requiredText("Consumer secret"),
  authorizationUrl: httpUrl("Authorization URL"),
  tokenUrl: httpUrl("Token URL"),
  scope: optionalText(),
  responseType: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || "code"),
});

export type OAuth2Params = z.infer<typeof schema>;

/**
 * The Connect flow stores the first tokens with the site; from then on the refresh token renews the
 * access token (RFC 6749 §6), the client authenticating with HTTP Basic (client_secret_basic).
 */
async function refreshAccessToken(params: OAuth2Params, ctx: AuthContext, expired: CachedToken | null): Promise<CachedToken> {
  if (!expired?.refreshToken) {
    throw new AuthorizationError("the site is not connected to its OAuth provider (no refresh token): press Connect on the site page");
  }
  let response;
  try {
    response = await requestToken({
      tokenUrl: params.tokenUrl,
      encoding: "application/x-www-form-urlencoded",
      params: { grant_type: "refresh_token", refresh_token: expired.refreshToken },
      basicAuth: { clientId: params.consumerKey, clientSecret: params.consumerSecret },
      fetch: ctx.fetch,
    });
  } catch (error) {
    if (error instanceof TokenEndpointError && error.code === "invalid_grant") {
      throw new TokenEndpointError(`${error.message}; the refresh token was refused: press Connect on the site page again`, error);
    }
    throw error;
  }
  return {
    accessToken: response.accessToken,
    expiresAt: expiresAtFrom(ctx.now(), response.expiresIn ?? DEFAULT_LIFETIME_SECONDS),
    // A server that does not rotate refresh tokens sends none back: the old one stays valid (§6).
    refreshToken: response.refreshToken ?? expired.refreshToken,
  };
}

export const oauth2Method = {
  method: "oauth2",
  label: "OAuth 2.0 (authorization code)",
  description:
    "A user connects the site once through the provider's consent page (Connect); the app then sends the access token as a bearer token and renews it with the refresh token when it expires.",
  schema,
  secretFields: ["consumerSecret"],
  fields: [
    {
      name: "consumerKey",
      label: "Consumer key",
      help: "The client ID the provider issued when you registered this app with it.",
      kind: "text",
      required: true,
    },
    {
      name: "consumerSecret",
      label: "Consumer secret",
      help: "The client secret issued with the consumer key. Stored encrypted; sent only to the token URL.",
      kind: "secret",
      required: true,
    },
    {
      name: "authorizationUrl",
      label: "Authorization URL",
      help: "The provider's page where a user approves access (Connect sends the user there).",
      kind: "text",
      required: true,
      placeholder: "https://auth.example.com/oauth2/authorize",
    },
    { ...tokenUrlField, help: "The provider's token endpoint, where authorization codes and refresh tokens are exchanged for access tokens." },
    {
      ...scopeField,
      help: "Optional. Space-separated scopes to ask for when connecting. Most providers only issue a refresh token with a scope such as offline_access.",
    },
    {
      name: "responseType",
      label: "Response type",
      help: "Sent as response_type when connecting. Leave \"code\" unless the provider documents otherwise.",
      kind: "text",
      required: false,
      defaultValue: "code",
    },
  ],
  authorize: (request, params, ctx) =>
    authorizeWithSiteToken(request, ctx, (expired) => refreshAccessToken(params, ctx, expired)),
  onUnauthorized: forgetSiteToken,
  explain: (_sent, _params, ctx) => explainBearerToken(ctx),
} satisfies AuthMethodModule<OAuth2Params>;
