import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { z } from "zod";
import { explainBearerToken } from "@/lib/oauth/token-response-view";
import { authorizeWithSiteToken, forgetSiteToken } from "@/lib/oauth/bearer";
import {
  contentTypeField,
  optionalText,
  scopeField,
  tokenEndpointSchema,
  tokenExpirationField,
  tokenUrlField,
} from "@/lib/oauth/token-endpoint-fields";
import { expiresAtFrom } from "@/lib/oauth/token-freshness";
import { requestToken } from "@/lib/oauth/token-request";
import { requiredText, type PrivateKeyKind } from "./common-fields";
import { loadSigningKey } from "./signing-key";
import { AuthorizationError, type AuthContext, type AuthMethodModule, type CachedToken } from "./types";

const MAX_TOKEN_EXPIRATION_MINUTES = 120;
/** Assertions are single-use proofs: short-lived (RFC 7523 §3 lets the server reject long ones). */
const ASSERTION_LIFETIME_SECONDS = 300;

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const JWT_CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const SIGN_ALGORITHMS = ["RS256", "ES256"] as const;
type SignAlgorithm = (typeof SIGN_ALGORITHMS)[number];
const KEY_KIND: Record<SignAlgorithm, PrivateKeyKind> = { RS256: "rsa", ES256: "ec-p256" };

const schema = z
  .object({
    ...tokenEndpointSchema(MAX_TOKEN_EXPIRATION_MINUTES),
    privateKey: requiredText("Private key"),
    keyId: optionalText(),
    signAlgorithm: z.enum(SIGN_ALGORITHMS, { error: "Signing algorithm must be RS256 or ES256" }),
    mode: z
      .enum(["jwt-bearer", "client-assertion"], { error: "Mode must be jwt-bearer or client-assertion" })
      .default("jwt-bearer"),
  })
  .superRefine((params, ctx) => {
    const loaded = loadSigningKey(params.privateKey, KEY_KIND[params.signAlgorithm]);
    if ("problem" in loaded) {
      ctx.addIssue({ code: "custom", path: ["privateKey"], message: `For ${params.signAlgorithm}, the private key ${loaded.problem}` });
    }
  });

export type OAuth2JwtPrivateKeyParams = z.infer<typeof schema>;

/**
 * RFC 7523 assertion: issued by and about the client, addressed to the token URL. In jwt-bearer mode
 * the scope also goes in the assertion, where Google's service accounts look for it.
 */
async function signAssertion(params: OAuth2JwtPrivateKeyParams, now: Date): Promise<string> {
  const loaded = loadSigningKey(params.privateKey, KEY_KIND[params.signAlgorithm]);
  if ("problem" in loaded) throw new AuthorizationError(`the private key ${loaded.problem}`);
  const issuedAt = Math.floor(now.getTime() / 1000);
  const claims = params.mode === "jwt-bearer" && params.scope ? { scope: params.scope } : {};
  try {
    return await new SignJWT(claims)
      .setProtectedHeader({ alg: params.signAlgorithm, typ: "JWT", ...(params.keyId ? { kid: params.keyId } : {}) })
      .setIssuer(params.clientId)
      .setSubject(params.clientId)
      .setAudience(params.tokenUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
      .setJti(randomUUID())
      .sign(loaded.key);
  } catch {
    throw new AuthorizationError(`the private key cannot sign ${params.signAlgorithm} assertions`);
  }
}

/** jwt-bearer: the assertion is the grant (RFC 7523 §2.1); client-assertion: it authenticates a client credentials grant (§2.2). */
function grantParams(params: OAuth2JwtPrivateKeyParams, assertion: string): Record<string, string | undefined> {
  if (params.mode === "jwt-bearer") return { grant_type: JWT_BEARER_GRANT, assertion, scope: params.scope };
  return {
    grant_type: "client_credentials",
    client_id: params.clientId,
    client_assertion_type: JWT_CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
    scope: params.scope,
  };
}

async function fetchJwtGrantToken(params: OAuth2JwtPrivateKeyParams, ctx: AuthContext): Promise<CachedToken> {
  const assertion = await signAssertion(params, ctx.now());
  const response = await requestToken({
    tokenUrl: params.tokenUrl,
    encoding: params.contentType,
    params: grantParams(params, assertion),
    fetch: ctx.fetch,
  });
  return {
    accessToken: response.accessToken,
    expiresAt: expiresAtFrom(ctx.now(), response.expiresIn, params.tokenExpiration * 60),
  };
}

export const oauth2JwtPrivateKeyMethod = {
  method: "oauth2-jwt-private-key",
  label: "OAuth 2.0 JWT with private key",
  description:
    "The app signs a short-lived JWT with a private key and exchanges it at the site's token endpoint for an access token (RFC 7523), then sends that as a bearer token.",
  schema,
  secretFields: ["privateKey"],
  fields: [
    tokenUrlField,
    {
      name: "mode",
      label: "Grant",
      help: "JWT bearer grant: the signed JWT is the grant itself (Google service accounts, Salesforce). Client assertion: a client credentials request authenticated by the signed JWT (private_key_jwt: Okta, Microsoft Entra ID).",
      kind: "select",
      required: true,
      options: [
        { value: "jwt-bearer", label: "JWT bearer grant" },
        { value: "client-assertion", label: "Client credentials with client assertion" },
      ],
      defaultValue: "jwt-bearer",
    },
    contentTypeField,
    tokenExpirationField(MAX_TOKEN_EXPIRATION_MINUTES),
    {
      name: "clientId",
      label: "Client ID",
      help: "The client ID (or service account e-mail / consumer key) the provider knows this key by. It is the JWT's issuer and subject.",
      kind: "text",
      required: true,
    },
    {
      name: "signAlgorithm",
      label: "Signing algorithm",
      help: "RS256 needs an RSA private key (2048 bits or more); ES256 an EC private key on the P-256 curve.",
      kind: "select",
      required: true,
      options: [
        { value: "RS256", label: "RS256 (RSA)" },
        { value: "ES256", label: "ES256 (EC P-256)" },
      ],
      defaultValue: "RS256",
    },
    {
      name: "privateKey",
      label: "Private key",
      help: "The private key in PEM format (-----BEGIN PRIVATE KEY----- …). The provider holds the matching public key. Stored encrypted.",
      kind: "multiline-secret",
      required: true,
      placeholder: "-----BEGIN PRIVATE KEY-----",
    },
    {
      name: "keyId",
      label: "Key ID",
      help: "Optional. Sent as the JWT's kid header so the provider knows which of your registered keys to check.",
      kind: "text",
      required: false,
    },
    scopeField,
  ],
  authorize: (request, params, ctx) => authorizeWithSiteToken(request, ctx, () => fetchJwtGrantToken(params, ctx)),
  onUnauthorized: forgetSiteToken,
  explain: (_sent, _params, ctx) => explainBearerToken(ctx),
  canTestTokenEndpoint: true,
} satisfies AuthMethodModule<OAuth2JwtPrivateKeyParams>;
