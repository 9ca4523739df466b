import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AUTH_METHODS, type AuthMethod } from "../auth-methods/method-names";
import { authMethodModule } from "../auth-methods/registry";
import { openParams, withoutTokenState, withStoredSecrets } from "../auth-methods/stored-params";
import type { AuthContext, OutgoingRequest } from "../auth-methods/types";
import type { Database } from "../db";
import { describeAuthorizeError } from "../delivery/authorize-request";
import { USER_AGENT } from "../delivery/policy/delivery-rules";
import { ValidationError } from "../errors";
import { redactedTokenResponse } from "../oauth/token-response-view";
import { refusedTargetIssues } from "../outbound/refused-target-issues";
import type { SecretBox } from "../secrets";
import { parseOrThrow, toFieldIssues } from "../validation";
import { getSiteOrThrow } from "./get-site";
import { TEST_ACTION, TEST_CUSTOMER_ID } from "./test-connection";
import { recordingTokenFetch, uncachedTokenStore, watchedTokenStore } from "./token-exchange-recorder";

/** The methods whose form offers "Test token endpoint" (their modules say so). */
export const TOKEN_ENDPOINT_METHODS = AUTH_METHODS.filter((m) => authMethodModule(m).canTestTokenEndpoint);

/**
 * `POST /api/trusted-sites/test-token-endpoint`: the site form's method and parameters as the site
 * API takes them; with `siteId`, a blank secret means the one stored with that site (as saving does).
 */
export const tokenEndpointTestSchema = z.object({
  authMethod: z.enum(AUTH_METHODS, { error: "Authentication method is not one we know" }).refine(
    (method) => authMethodModule(method).canTestTokenEndpoint === true,
    "Only the OAuth 2.0 client credentials and JWT with private key methods have a token endpoint to test",
  ),
  authParams: z.record(z.string(), z.unknown(), { error: "authParams must be an object" }).default({}),
  siteId: z.uuid({ error: "siteId must be a site's id" }).optional(),
});

export type TokenEndpointTest =
  | { ok: true; tokenResponse: ReturnType<typeof redactedTokenResponse>; summary: string }
  | { ok: false; tokenResponse: ReturnType<typeof redactedTokenResponse> | null; error: string };

/**
 * Fetches a token with the method's own code (its authorize, over a token store that keeps
 * nothing), so what the form's values would do is what is shown: the token response with its
 * tokens redacted, or why none came. Nothing is cached or stored. The token URL must pass the same
 * outbound address rules as when saving; the guarded fetch checks again when it connects.
 */
export async function testTokenEndpoint(deps: { db: Database; box: SecretBox; fetch: typeof fetch }, input: unknown): Promise<TokenEndpointTest> {
  const { authMethod, authParams, siteId } = parseOrThrow(tokenEndpointTestSchema, input);
  const method = authMethodModule(authMethod);
  const stored = siteId ? await storedParams(deps, siteId) : null;
  const incoming = withStoredSecrets(authMethod, authParams, stored);
  const parsed = method.schema.safeParse(incoming);
  if (!parsed.success) {
    throw new ValidationError(toFieldIssues(parsed.error).map((i) => ({ ...i, path: ["authParams", ...i.path] })));
  }
  const params = parsed.data;
  const refused = (await refusedTargetIssues({ url: String(params.tokenUrl), authParams: params })).filter((i) => i.path[0] === "authParams");
  if (refused.length > 0) throw new ValidationError(refused);

  const recorder = recordingTokenFetch(deps.fetch);
  const tokens: string[] = [];
  const now = new Date();
  const ctx: AuthContext = {
    siteId: siteId ?? randomUUID(),
    message: { id: randomUUID(), action: TEST_ACTION, customerId: TEST_CUSTOMER_ID, createdAt: now },
    now: () => new Date(),
    fetch: recorder.fetch,
    tokens: watchedTokenStore(uncachedTokenStore, (token) => tokens.push(token.accessToken)),
  };
  const secretValues = [...method.secretFields.map((f) => params[f]), ...tokens].filter((v): v is string => typeof v === "string");
  const shown = () => {
    // An exchange without a status got no answer: the error says why.
    const last = recorder.exchanges.at(-1);
    return last && last.status !== null ? redactedTokenResponse(last, [...secretValues, ...tokens]) : null;
  };
  try {
    await method.authorize(placeholderRequest(), params, ctx);
  } catch (error) {
    return { ok: false, tokenResponse: shown(), error: describeAuthorizeError(error) };
  }
  const tokenResponse = shown()!;
  const expiresIn = tokenResponse.body?.expires_in;
  return {
    ok: true,
    tokenResponse,
    summary: `The token endpoint issued an access token${typeof expiresIn === "number" ? ` valid for ${expiresIn} s` : ""}. It was not kept.`,
  };
}

async function storedParams(deps: { db: Database; box: SecretBox }, siteId: string): Promise<{ method: AuthMethod; params: Record<string, unknown> } | null> {
  const site = await getSiteOrThrow(deps.db, siteId);
  try {
    return { method: site.authMethod, params: withoutTokenState(openParams(site.authMethod, site.authParams, deps.box)) };
  } catch {
    // Stored secrets that no longer decrypt count as not stored: the form then asks for them.
    return null;
  }
}

/** authorize wants a request to put the token on; it is never sent. */
function placeholderRequest(): OutgoingRequest {
  return { method: "POST", url: "https://token-endpoint-test.invalid/", headers: { "user-agent": USER_AGENT }, body: "" };
}
