import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauth2ClientCredentialsMethod, type OAuth2ClientCredentialsParams } from "@/lib/auth-methods/oauth2-client-credentials";
import { AuthorizationError, type AuthContext } from "@/lib/auth-methods/types";
import { createMemoryTokenStore } from "@/lib/oauth/token-store";
import { authContext, bearerToken, webhookRequest as sampleRequest } from "../../helpers/auth-request";
import { closedPort } from "../../helpers/ports";
import { startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";

let server: OAuthTestServer;

beforeAll(async () => {
  server = await startOAuthServer({ clientCredentialsTtl: 600 });
});
afterAll(() => server.close());

const context = (overrides: Partial<AuthContext> = {}) => authContext(overrides);

function params(overrides: Partial<OAuth2ClientCredentialsParams> = {}): OAuth2ClientCredentialsParams {
  return oauth2ClientCredentialsMethod.schema.parse({
    tokenUrl: server.tokenUrl,
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: 60,
    clientId: server.clients.basic.clientId,
    clientSecret: server.clients.basic.clientSecret,
    scope: "api:read",
    ...overrides,
  });
}

describe("oauth2-client-credentials against oidc-provider", () => {
  it("form body with client_secret_basic: the provider issues a token that it then vouches for", async () => {
    const request = sampleRequest();
    const before = structuredClone(request);
    const signed = await oauth2ClientCredentialsMethod.authorize(request, params(), context());
    expect(request).toEqual(before);
    const introspection = await server.introspect(bearerToken(signed));
    expect(introspection).toMatchObject({ active: true, client_id: server.clients.basic.clientId, scope: "api:read" });
    expect(signed.body).toBe(request.body);
  });

  it("JSON body (through the server's JSON shim) with the credentials in the body", async () => {
    const signed = await oauth2ClientCredentialsMethod.authorize(
      sampleRequest(),
      params({ contentType: "application/json", clientId: server.clients.post.clientId, clientSecret: server.clients.post.clientSecret }),
      context(),
    );
    expect(await server.introspect(bearerToken(signed))).toMatchObject({ active: true, client_id: server.clients.post.clientId });
  });

  it("caches the token no longer than the provider's expires_in, and no longer than tokenExpiration", async () => {
    const tokens = createMemoryTokenStore();
    await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params({ tokenExpiration: 1440 }), context({ tokens, siteId: "a" }));
    const serverBound = tokens.peek("a")!;
    const lifetime = (serverBound.expiresAt.getTime() - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(590);
    expect(lifetime).toBeLessThanOrEqual(600);

    await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params({ tokenExpiration: 2 }), context({ tokens, siteId: "b" }));
    const ourBound = (tokens.peek("b")!.expiresAt.getTime() - Date.now()) / 1000;
    expect(ourBound).toBeGreaterThan(110);
    expect(ourBound).toBeLessThanOrEqual(120);
  });

  it("reuses the cached token for later sends", async () => {
    const tokens = createMemoryTokenStore();
    server.resetTokenRequests();
    const first = await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params(), context({ tokens }));
    const second = await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params(), context({ tokens }));
    expect(second.headers.authorization).toBe(first.headers.authorization);
    expect(server.tokenRequests()).toBe(1);
  });

  it("a wrong secret is refused with the provider's error, and the secret is not in the message", async () => {
    const wrongSecret = "definitely-not-the-secret-4711";
    for (const contentType of ["application/x-www-form-urlencoded", "application/json"] as const) {
      const error = await oauth2ClientCredentialsMethod
        .authorize(sampleRequest(), params({ contentType, clientSecret: wrongSecret }), context())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AuthorizationError);
      expect((error as Error).message).toMatch(/token endpoint answered 401 invalid_client/);
      expect((error as Error).message).not.toContain(wrongSecret);
    }
  });

  it("onUnauthorized forgets the token, so the next send gets a new one", async () => {
    const tokens = createMemoryTokenStore();
    const ctx = context({ tokens });
    const first = await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params(), ctx);
    await oauth2ClientCredentialsMethod.onUnauthorized(ctx, first);
    const second = await oauth2ClientCredentialsMethod.authorize(sampleRequest(), params(), ctx);
    expect(second.headers.authorization).not.toBe(first.headers.authorization);
    expect((await server.introspect(bearerToken(second))).active).toBe(true);
  });

  it("an unreachable token endpoint fails the attempt with a plain message", async () => {
    const error = await oauth2ClientCredentialsMethod
      .authorize(sampleRequest(), params({ tokenUrl: `http://127.0.0.1:${await closedPort()}/token` }), context())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });
});
