import type { z } from "zod";
import type { AuthMethod } from "./method-names";

/** A request as the delivery core builds it, before (and after) a method authenticates it. */
export interface OutgoingRequest {
  method: "POST" | "PUT";
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** What a method may use of the message being delivered (S3 object keys, JWT claims, …). */
export interface MessageContext {
  id: string;
  action: string;
  customerId: string;
  createdAt: Date;
}

/** An access token as cached per site (stored encrypted with the site, DESIGN §2). */
export interface CachedToken {
  accessToken: string;
  expiresAt: Date;
  refreshToken?: string;
}

/**
 * Per-site access tokens, shared by every send of every process: a valid cached token is reused;
 * otherwise exactly one fetch runs per site at a time, however many sends wait for it.
 */
export interface TokenStore {
  /**
   * The site's cached token when it is still valid (with a safety margin before `expiresAt`);
   * otherwise runs `fetchToken` — given the expired token, if any, so a refresh token can be
   * used — caches what it returns, and hands it to every waiting caller.
   */
  getOrFetch(
    siteId: string,
    fetchToken: (expired: CachedToken | null) => Promise<CachedToken>,
  ): Promise<CachedToken>;
  /**
   * Forgets the cached access token after the receiver refused it (401), only if it is still the
   * `refused` one: when another send already replaced it, the new token stays. A refresh token is kept.
   */
  invalidate(siteId: string, refused: string): Promise<void>;
}

export interface AuthContext {
  siteId: string;
  message: MessageContext;
  /** The clock; fixed in tests so signatures are deterministic. */
  now(): Date;
  /** Outbound HTTP for token endpoints. The delivery core passes its guarded fetch. */
  fetch: typeof fetch;
  tokens: TokenStore;
}

/** How the site form renders one parameter of a method. */
export interface FieldSpec {
  name: string;
  label: string;
  help?: string;
  kind: "text" | "secret" | "multiline-secret" | "number" | "select" | "key-values";
  required: boolean;
  placeholder?: string;
  options?: readonly { value: string; label: string }[];
  defaultValue?: string | number;
}

/**
 * One authentication method (DESIGN §6). `schema` validates the parameters as entered in the form
 * and the API (secrets in clear); the registry encrypts `secretFields` at rest.
 */
export interface AuthMethodModule<Params = Record<string, unknown>> {
  method: AuthMethod;
  label: string;
  description: string;
  schema: z.ZodType<Params>;
  secretFields: readonly string[];
  fields: readonly FieldSpec[];
  /** Returns the request to send: signed, with credentials, or re-targeted (S3). Never mutates its input. */
  authorize(request: OutgoingRequest, params: Params, ctx: AuthContext): Promise<OutgoingRequest>;
  /**
   * For methods whose credentials come from a cache (the OAuth tokens): the receiver answered 401 to
   * `refused`, so drop what it carried; the delivery then authorizes and sends once more at once.
   */
  onUnauthorized?(ctx: AuthContext, refused: OutgoingRequest): Promise<void>;
  /**
   * What the method did to `sent` (a request it authorized), for Test connection: the AWS canonical
   * request and string to sign, a JWT's decoded header and claims, the token response, … Never a
   * secret: the result is shown in the browser.
   */
  explain?(sent: OutgoingRequest, params: Params, ctx: ExplainContext): Promise<Explanation>;
  /** The site form can try the method's token endpoint with the values typed in ("Test token endpoint"). */
  canTestTokenEndpoint?: boolean;
}

/** One token-endpoint exchange seen while authorizing (the test connection watches ctx.fetch). */
export interface TokenExchange {
  /** Origin and path only. */
  url: string;
  status: number | null;
  durationMs: number;
  /** The response body as parsed JSON (an object), when it was one. */
  json: Record<string, unknown> | null;
  /** The start of the body when it was not a JSON object. */
  text: string;
  /** Credentials the request carried (client secret, assertion, Authorization): cut out of anything shown. */
  sentCredentials: string[];
}

export interface ExplainContext {
  /** Token requests made while authorizing, in order. */
  tokenExchanges: readonly TokenExchange[];
  /** The access token expiry the token cache handed out, when the method asked it for one. */
  tokenExpiresAt: Date | null;
  /** Secret values the explanation must not quote (what the site's secret fields hold). */
  secretValues: readonly string[];
}

/** One labelled part of an explanation: shown as text, as a monospaced block, or as JSON. */
export interface ExplanationItem {
  key: string;
  label: string;
  value: string;
  format: "text" | "code" | "json";
}

export interface Explanation {
  summary: string;
  items: ExplanationItem[];
}

/** Thrown when credentials cannot be obtained (token endpoint refused, …): the attempt fails. */
export class AuthorizationError extends Error {
  override name = "AuthorizationError";
}
