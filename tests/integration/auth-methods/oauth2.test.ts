import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauth2Method, type OAuth2Params } from "@/lib/auth-methods/oauth2";
import { AuthorizationError } from "@/lib/auth-methods/types";
import { readSiteToken, writeSiteToken } from "@/lib/oauth/site-token";
import { requestToken } from "@/lib/oauth/token-request";
import { createDatabaseTokenStore } from "@/lib/oauth/token-store";
import { createSecretBox, isEncrypted } from "@/lib/secrets";
import { authContext, bearerToken, webhookRequest } from "../../helpers/auth-request";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";
import { insertTrustedSite, siteRow } from "../../helpers/trusted-site-rows";

let database: TestDatabase;
let server: OAuthTestServer;
const box = createSecretBox(randomBytes(32));

beforeAll(async () => {
  [database, server] = await Promise.all([createTestDatabase(), startOAuthServer({ rotateRefreshToken: true })]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), server?.close()]);
});

function params(): OAuth2Params {
  return oauth2Method.schema.parse({
    consumerKey: server.clients.webApp.clientId,
    consumerSecret: server.clients.webApp.clientSecret,
    authorizationUrl: server.authorizationUrl,
    tokenUrl: server.tokenUrl,
    scope: "openid offline_access",
  });
}

/** A site whose stored access token has expired, with a refresh token the provider issued. */
async function siteWithExpiredToken() {
  const refreshToken = await server.issueRefreshToken({ clientId: server.clients.webApp.clientId });
  const siteId = await insertTrustedSite(database.db, "oauth2");
  await writeSiteToken(
    database.db,
    box,
    siteId,
    { accessToken: "expired-access-token", refreshToken, expiresAt: new Date(Date.now() - 60_000) },
    new Date(Date.now() - 3_660_000),
  );
  return { siteId, refreshToken };
}

describe("oauth2 (authorization code) against oidc-provider", () => {
  it("refreshes an expired token with the refresh token and stores the new tokens encrypted", async () => {
    const { siteId, refreshToken } = await siteWithExpiredToken();
    const ctx = authContext({ siteId, tokens: createDatabaseTokenStore(database.db, box) });
    server.resetTokenRequests();

    const signed = await oauth2Method.authorize(webhookRequest(), params(), ctx);
    const accessToken = bearerToken(signed);
    expect(accessToken).not.toBe("expired-access-token");
    expect(await server.introspect(accessToken)).toMatchObject({ active: true, client_id: server.clients.webApp.clientId, sub: "user-1" });

    const stored = await readSiteToken(database.db, box, siteId);
    expect(stored?.accessToken).toBe(accessToken);
    expect(stored?.refreshToken).toBeDefined();
    expect(stored?.refreshToken).not.toBe(refreshToken); // the provider rotated it
    expect(stored!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_500_000);

    const [raw] = await database.sql<{ auth_params: string }[]>`select auth_params::text from trusted_sites where id = ${siteId}`;
    for (const token of [accessToken, stored!.refreshToken!]) expect(raw!.auth_params).not.toContain(token);
    const row = await siteRow(database.db, siteId);
    expect(isEncrypted(row.authParams.access_token)).toBe(true);
    expect(isEncrypted(row.authParams.refresh_token)).toBe(true);

    // The new token is reused; the next refresh uses the rotated refresh token.
    const reused = await oauth2Method.authorize(webhookRequest(), params(), ctx);
    expect(bearerToken(reused)).toBe(accessToken);
    expect(server.tokenRequests()).toBe(1);
    await oauth2Method.onUnauthorized(ctx, reused);
    const renewed = bearerToken(await oauth2Method.authorize(webhookRequest(), params(), ctx));
    expect(renewed).not.toBe(accessToken);
    expect((await server.introspect(renewed)).active).toBe(true);
  });

  it("a refresh token the provider refused asks the user to connect again, without the token in the message", async () => {
    const { siteId, refreshToken } = await siteWithExpiredToken();
    const tokens = createDatabaseTokenStore(database.db, box);
    await oauth2Method.authorize(webhookRequest(), params(), authContext({ siteId, tokens }));
    // Put the old, already-rotated refresh token back: the provider refuses its reuse.
    await writeSiteToken(database.db, box, siteId, { accessToken: "x", refreshToken, expiresAt: new Date(0) }, new Date(0));

    const error = await oauth2Method.authorize(webhookRequest(), params(), authContext({ siteId, tokens })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toMatch(/answered 400 invalid_grant.*Connect/);
    expect((error as Error).message).not.toContain(refreshToken);
    expect((error as Error).message).not.toContain(server.clients.webApp.clientSecret);
  });

  it("a site that was never connected fails with a message saying so", async () => {
    const siteId = await insertTrustedSite(database.db, "oauth2");
    const error = await oauth2Method
      .authorize(webhookRequest(), params(), authContext({ siteId, tokens: createDatabaseTokenStore(database.db, box) }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toMatch(/not connected.*Connect/);
  });

  it("a wrong consumer secret is refused (invalid_client) without the secret in the message", async () => {
    const { siteId } = await siteWithExpiredToken();
    const wrong = { ...params(), consumerSecret: "wrong-consumer-secret-123" };
    const error = await oauth2Method
      .authorize(webhookRequest(), wrong, authContext({ siteId, tokens: createDatabaseTokenStore(database.db, box) }))
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/answered 401 invalid_client/);
    expect((error as Error).message).not.toContain("wrong-consumer-secret-123");
  });

  it("the test server's headless authorization gives a code whose tokens the method then uses", async () => {
    const { clientId, clientSecret, redirectUri } = server.clients.webApp;
    const authorization = new URL(server.authorizationUrl);
    authorization.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: "openid offline_access",
      state: "state-123",
      prompt: "consent",
    }).toString();
    const callback = await server.approveAuthorization(authorization.toString(), "user-42");
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    expect(callback.searchParams.get("state")).toBe("state-123");

    const tokens = await requestToken({
      tokenUrl: server.tokenUrl,
      encoding: "application/x-www-form-urlencoded",
      params: { grant_type: "authorization_code", code: callback.searchParams.get("code")!, redirect_uri: redirectUri },
      basicAuth: { clientId, clientSecret },
      fetch,
    });
    expect(tokens.refreshToken).toBeDefined();

    const siteId = await insertTrustedSite(database.db, "oauth2");
    await writeSiteToken(database.db, box, siteId, { ...tokens, expiresAt: new Date(Date.now() - 1) }, new Date());
    const signed = await oauth2Method.authorize(webhookRequest(), params(), authContext({ siteId, tokens: createDatabaseTokenStore(database.db, box) }));
    expect(await server.introspect(bearerToken(signed))).toMatchObject({ active: true, sub: "user-42" });
  });
});
