import { z } from "zod";
import { explainBearerToken } from "@/lib/oauth/token-response-view";
import { authorizeWithSiteToken, forgetSiteToken } from "@/lib/oauth/bearer";
import {
  contentTypeField,
  scopeField,
  tokenEndpointSchema,
  tokenExpirationField,
  tokenUrlField,
} from "@/lib/oauth/token-endpoint-fields";
import { expiresAtFrom } from "@/lib/oauth/token-freshness";
import { requestToken } from "@/lib/oauth/token-request";
import { requiredText } from "./common-fields";
import type { AuthContext, AuthMethodModule, CachedToken } from "./types";

const MAX_TOKEN_EXPIRATION_MINUTES = 1440;

const schema = z.object({
  ...tokenEndpointSchema(MAX_TOKEN_EXPIRATION_MINUTES),
  clientSecret: requiredText("Client secret"),
});

export type OAuth2ClientCredentialsParams = z.infer<typeof schema>;

/**
 * RFC 6749 §4.4. With form encoding the client authenticates with HTTP Basic (client_secret_basic,
 * which §2.3.1 obliges every server to support); a JSON body carries client_id and client_secret
 * in the body, as the JSON-speaking token endpoints expect.
 */
async function fetchClientCredentialsToken(params: OAuth2ClientCredentialsParams, ctx: AuthContext): Promise<CachedToken> {
  const json = params.contentType === "application/json";
  const response = await requestToken({
    tokenUrl: params.tokenUrl,
    encoding: params.contentType,
    params: {
      grant_type: "client_credentials",
      scope: params.scope,
      client_id: json ? params.clientId : undefined,
      client_secret: json ? params.clientSecret : undefined,
    },
    basicAuth: json ? undefined : { clientId: params.clientId, clientSecret: params.clientSecret },
    fetch: ctx.fetch,
  });
  return {
    accessToken: response.accessToken,
    expiresAt: expiresAtFrom(ctx.now(), response.expiresIn, params.tokenExpiration * 60),
  };
}

export const oauth2ClientCredentialsMethod = {
  method: "oauth2-client-credentials",
  label: "OAuth 2.0 client credentials",
  description:
    "The app gets an access token from the site's token endpoint with its client ID and secret, and sends it as a bearer token. The token is reused until it expires.",
  schema,
  secretFields: ["clientSecret"],
  fields: [
    tokenUrlField,
    contentTypeField,
    tokenExpirationField(MAX_TOKEN_EXPIRATION_MINUTES),
    {
      name: "clientId",
      label: "Client ID",
      help: "The client (application) ID the provider issued for this integration.",
      kind: "text",
      required: true,
    },
    {
      name: "clientSecret",
      label: "Client secret",
      help: "The secret issued with the client ID. Stored encrypted; sent only to the token URL.",
      kind: "secret",
      required: true,
    },
    scopeField,
  ],
  authorize: (request, params, ctx) =>
    authorizeWithSiteToken(request, ctx, () => fetchClientCredentialsToken(params, ctx)),
  onUnauthorized: forgetSiteToken,
  explain: (_sent, _params, ctx) => explainBearerToken(ctx),
  canTestTokenEndpoint: true,
} satisfies AuthMethodModule<OAuth2ClientCredentialsParams>;
