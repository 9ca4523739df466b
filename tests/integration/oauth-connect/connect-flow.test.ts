import { createHash, randomBytes } from "node:crypto";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import { sealParams } from "@/lib/auth-methods/stored-params";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites, verifications } from "@/lib/db/schema";
import { ConflictError } from "@/lib/errors";
import { completeConnect } from "@/lib/oauth/callback-exchange";
import { describeCallbackProblem } from "@/lib/oauth/callback-problems";
import { startConnect } from "@/lib/oauth/connect-site";
import { readConnectionState } from "@/lib/oauth/connection-state";
import { refreshSiteToken, TokenRefreshError } from "@/lib/oauth/refresh-site-token";
import { readSiteToken } from "@/lib/oauth/site-token";
import { createGuardedFetch } from "@/lib/outbound/guarded-fetch";
import { createSecretBox, isEncrypted } from "@/lib/secrets";
import { oauthRedirectUrl } from "@/lib/trusted-sites/oauth-redirect-url";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { startOAuthServer, type OAuthTestServer, type WebAppClient } from "../../helpers/oauth-server";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
/** The app's public origin: the provider never calls it, it only has to match the registered Redirect URL. */
const ORIGIN = "http://backoffice.test";
/** The app's outbound fetch, allowed to reach the provider on loopback as local development is. */
const appFetch = createGuardedFetch({ allow: "127.0.0.0/8" });

let database: TestDatabase;
let server: OAuthTestServer;

beforeAll(async () => {
  [database, server] = await Promise.all([createTestDatabase(), startOAuthServer({ accessTokenTtl: 600, rotateRefreshToken: true })]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), server?.close()]);
});
beforeEach(() => server.resetTokenRequests());

/** An oauth2 site pointing at the test provider, with a provider client that accepts the site's Redirect URL. */
async function oauth2Site(overrides: Record<string, unknown> = {}): Promise<{ siteId: string; client: WebAppClient }> {
  const [row] = await database.db
    .insert(trustedSites)
    .values({ name: `site ${randomBytes(4).toString("hex")}`, url: "https://receiver.example/hooks", authMethod: "oauth2", authParams: {} })
    .returning({ id: trustedSites.id });
  const siteId = row!.id;
  const client = await server.registerWebAppClient([oauthRedirectUrl(ORIGIN, siteId)]);
  const params = {
    consumerKey: client.clientId,
    consumerSecret: client.clientSecret,
    authorizationUrl: server.authorizationUrl,
    tokenUrl: server.tokenUrl,
    scope: "openid offline_access api:read",
    responseType: "code",
    ...overrides,
  };
  await database.db.update(trustedSites).set({ authParams: sealParams("oauth2", params, box) }).where(eq(trustedSites.id, siteId));
  return { siteId, client };
}

const connect = (siteId: string, now?: Date) => startConnect(database.db, box, { siteId, origin: ORIGIN, actor, now });
const callback = (siteId: string, query: URLSearchParams | Record<string, string>) =>
  completeConnect(database.db, box, siteId, new URLSearchParams(query), { fetch: appFetch });

/** Connect, approved at the provider: the query the provider sends the browser back with. */
async function approvedCallbackQuery(siteId: string, now?: Date): Promise<URLSearchParams> {
  const returned = await server.approveAuthorization((await connect(siteId, now)).href);
  expect(returned.origin + returned.pathname).toBe(oauthRedirectUrl(ORIGIN, siteId));
  return returned.searchParams;
}

async function rawAuthParams(siteId: string): Promise<string> {
  const [raw] = await database.sql<{ auth_params: string }[]>`select auth_params::text from trusted_sites where id = ${siteId}`;
  return raw!.auth_params;
}

async function expectNothingStored(siteId: string) {
  expect(await readSiteToken(database.db, box, siteId)).toBeNull();
  expect(await rawAuthParams(siteId)).not.toMatch(/access_token|refresh_token|expires_at/);
  expect(server.tokenRequests()).toBe(0);
}

describe("Connect", () => {
  it("sends the user to the authorization URL with client id, redirect URI, response type, scope, a one-time state and PKCE S256", async () => {
    const { siteId, client } = await oauth2Site();
    const target = await connect(siteId);
    expect(target.origin + target.pathname).toBe(server.authorizationUrl);
    const query = target.searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      client_id: client.clientId,
      redirect_uri: `${ORIGIN}/api/trusted-sites/${siteId}/oauth/callback`,
      response_type: "code",
      scope: "openid offline_access api:read",
      code_challenge_method: "S256",
      // OpenID Connect providers keep offline_access (the refresh token) only with consent asked for.
      prompt: "consent",
    });
    expect(query.get("state")).toMatch(/^[\w-]{32,}$/);
    expect(query.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(target.href).not.toContain(client.clientSecret);

    // Kept server-side, found by the state's hash; the code verifier is encrypted; 10 minutes to approve.
    const identifier = `oauth-connect:${createHash("sha256").update(query.get("state")!).digest("base64url")}`;
    const [row] = await database.db.select().from(verifications).where(eq(verifications.identifier, identifier));
    const stored = JSON.parse(row!.value);
    expect(stored).toMatchObject({ siteId, redirectUri: query.get("redirect_uri"), actor });
    expect(isEncrypted(stored.codeVerifier)).toBe(true);
    const verifier = box.decrypt(stored.codeVerifier);
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(query.get("code_challenge"));
    expect(row!.expiresAt.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(row!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);

    // Every Connect gets its own state.
    expect((await connect(siteId)).searchParams.get("state")).not.toBe(query.get("state"));
  });

  it("refuses sites that do not use the oauth2 method", async () => {
    const [row] = await database.db
      .insert(trustedSites)
      .values({ name: "basic site", url: "https://receiver.example/hooks", authMethod: "basic", authParams: {} })
      .returning({ id: trustedSites.id });
    await expect(connect(row!.id)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("the callback", () => {
  it("exchanges the code and stores the tokens encrypted: the provider says the access token is active", async () => {
    const { siteId, client } = await oauth2Site();
    expect(await readConnectionState(database.db, box, siteId)).toEqual({ status: "never-connected" });
    const query = await approvedCallbackQuery(siteId);

    expect(await callback(siteId, query)).toEqual({ connected: true });
    expect(server.tokenRequests()).toBe(1);

    const token = await readSiteToken(database.db, box, siteId);
    expect(token?.refreshToken).toBeTruthy();
    expect(await server.introspect(token!.accessToken)).toMatchObject({ active: true, client_id: client.clientId, sub: "user-1" });
    expect(token!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    expect(token!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);

    const raw = await rawAuthParams(siteId);
    for (const secret of [token!.accessToken, token!.refreshToken!, client.clientSecret, query.get("code")!]) expect(raw).not.toContain(secret);
    const [row] = await database.db.select().from(trustedSites).where(eq(trustedSites.id, siteId));
    expect(isEncrypted(row!.authParams.access_token)).toBe(true);
    expect(isEncrypted(row!.authParams.refresh_token)).toBe(true);

    expect(await readConnectionState(database.db, box, siteId)).toEqual({ status: "connected", expiresAt: token!.expiresAt.toISOString(), canRefresh: true });
    const [event] = await listSiteAuditEvents(database.db, siteId);
    expect(event).toMatchObject({ action: "site.connected", actor: "ops@example.com", details: { refreshToken: true } });
    // The pending authorization is gone.
    const pending = await database.db.select().from(verifications).where(like(verifications.identifier, "oauth-connect:%"));
    expect(pending.filter((p) => p.value.includes(siteId))).toEqual([]);
  });

  it("refuses a reused state, storing nothing more", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    expect(await callback(siteId, query)).toEqual({ connected: true });
    const before = await rawAuthParams(siteId);
    server.resetTokenRequests();

    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "unknown_state" } });
    expect(server.tokenRequests()).toBe(0);
    expect(await rawAuthParams(siteId)).toBe(before);
  });

  it("refuses an unknown or missing state, even with a code the provider issued", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    const code = query.get("code")!;

    expect(await callback(siteId, { code, state: "forged-state-value" })).toEqual({ connected: false, problem: { code: "unknown_state" } });
    expect(await callback(siteId, { code })).toEqual({ connected: false, problem: { code: "missing_state" } });
    await expectNothingStored(siteId);
  });

  it("refuses an expired state (older than 10 minutes) and consumes it", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId, new Date(Date.now() - 10 * 60_000 - 1000));

    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "expired_state" } });
    await expectNothingStored(siteId);
    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "unknown_state" } });
  });

  it("refuses another site's state, connecting neither site", async () => {
    const first = await oauth2Site();
    const second = await oauth2Site();
    const query = await approvedCallbackQuery(first.siteId);

    expect(await callback(second.siteId, query)).toEqual({ connected: false, problem: { code: "wrong_site" } });
    await expectNothingStored(second.siteId);
    await expectNothingStored(first.siteId);
    // One use, whoever presented it.
    expect(await callback(first.siteId, query)).toEqual({ connected: false, problem: { code: "unknown_state" } });
  });

  it("reports a provider error (access_denied) in plain words and stores nothing", async () => {
    const { siteId } = await oauth2Site();
    const state = (await connect(siteId)).searchParams.get("state")!;

    const outcome = await callback(siteId, { error: "access_denied", error_description: "The end-user denied the request", state });
    expect(outcome).toEqual({ connected: false, problem: { code: "provider_error", oauthError: "access_denied" } });
    expect(describeCallbackProblem({ code: "provider_error", oauthError: "access_denied" })).toEqual({
      title: "Access was declined",
      text: expect.stringMatching(/^Access was declined at the OAuth provider/),
    });
    await expectNothingStored(siteId);
  });

  it("a state answered with a provider error is used up: the same state with a code is refused", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);

    expect(await callback(siteId, { error: "access_denied", state: query.get("state")! })).toMatchObject({ connected: false, problem: { code: "provider_error" } });
    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "unknown_state" } });
    await expectNothingStored(siteId);
  });

  it("a site that stopped using oauth2 while the user was at the provider is not connected", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    await database.db.update(trustedSites).set({ authMethod: "basic", authParams: sealParams("basic", { username: "u", password: "p" }, box) }).where(eq(trustedSites.id, siteId));

    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "site_unavailable" } });
    expect(server.tokenRequests()).toBe(0);
    expect(await rawAuthParams(siteId)).not.toMatch(/access_token|refresh_token/);
  });

  it("passes on only error codes that look like codes", async () => {
    const { siteId } = await oauth2Site();
    const state = (await connect(siteId)).searchParams.get("state")!;
    expect(await callback(siteId, { error: "<b>call us at 555-0100</b>", state })).toEqual({
      connected: false,
      problem: { code: "provider_error" },
    });
    await expectNothingStored(siteId);
  });

  it("reports a code the token URL refuses (invalid_grant) without storing anything", async () => {
    const { siteId, client } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    query.set("code", "not-the-code-the-provider-issued");

    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "token_refused", oauthError: "invalid_grant" } });
    expect(await readSiteToken(database.db, box, siteId)).toBeNull();
    expect(await rawAuthParams(siteId)).not.toContain(client.clientSecret);
  });

  it("sends the PKCE code verifier: the provider refuses the code with any other", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    const identifier = `oauth-connect:${createHash("sha256").update(query.get("state")!).digest("base64url")}`;
    const [row] = await database.db.select().from(verifications).where(eq(verifications.identifier, identifier));
    const value = { ...JSON.parse(row!.value), codeVerifier: box.encrypt(randomBytes(32).toString("base64url")) };
    await database.db.update(verifications).set({ value: JSON.stringify(value) }).where(eq(verifications.identifier, identifier));

    expect(await callback(siteId, query)).toEqual({ connected: false, problem: { code: "token_refused", oauthError: "invalid_grant" } });
    expect(await readSiteToken(database.db, box, siteId)).toBeNull();
  });

  it("reports a token URL it may not reach (outside the allowed addresses)", async () => {
    const { siteId } = await oauth2Site();
    const query = await approvedCallbackQuery(siteId);
    const outcome = await completeConnect(database.db, box, siteId, query, { fetch: createGuardedFetch({ allow: "" }) });
    expect(outcome).toEqual({ connected: false, problem: { code: "token_unreachable" } });
    await expectNothingStored(siteId);
  });
});

describe("a site that does not ask for offline_access", () => {
  it("connects without a refresh token: no consent prompt forced, and only Connect helps once the token expires", async () => {
    const { siteId } = await oauth2Site({ scope: "openid api:read" });
    const target = await connect(siteId);
    expect(target.searchParams.has("prompt")).toBe(false);
    const returned = await server.approveAuthorization(target.href);

    expect(await callback(siteId, returned.searchParams)).toEqual({ connected: true });
    const token = (await readSiteToken(database.db, box, siteId))!;
    expect(token.refreshToken).toBeUndefined();
    expect((await server.introspect(token.accessToken)).active).toBe(true);
    expect(await readConnectionState(database.db, box, siteId)).toMatchObject({ status: "connected", canRefresh: false });
    await database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('expires_at', ${new Date(Date.now() - 1000).toISOString()}::text) where id = ${siteId}`;
    expect(await readConnectionState(database.db, box, siteId)).toMatchObject({ status: "expired", canRefresh: false });
    server.resetTokenRequests();
    await expect(refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor })).rejects.toThrow(/no refresh token.*Connect/);
    expect(server.tokenRequests()).toBe(0);
  });
});

describe("refreshing the access token", () => {
  it("exchanges the refresh token now, storing the rotated tokens", async () => {
    const { siteId, client } = await oauth2Site();
    expect(await callback(siteId, await approvedCallbackQuery(siteId))).toEqual({ connected: true });
    const connected = (await readSiteToken(database.db, box, siteId))!;
    // Force expiry, as time passing would.
    await database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('expires_at', ${new Date(Date.now() - 1000).toISOString()}::text) where id = ${siteId}`;
    expect(await readConnectionState(database.db, box, siteId)).toMatchObject({ status: "expired", canRefresh: true });
    server.resetTokenRequests();

    const { expiresAt } = await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor });

    expect(server.tokenRequests()).toBe(1);
    const refreshed = (await readSiteToken(database.db, box, siteId))!;
    expect(refreshed.accessToken).not.toBe(connected.accessToken);
    expect(refreshed.refreshToken).not.toBe(connected.refreshToken);
    expect(refreshed.expiresAt).toEqual(expiresAt);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    expect(await server.introspect(refreshed.accessToken)).toMatchObject({ active: true, client_id: client.clientId });
    const raw = await rawAuthParams(siteId);
    expect(raw).not.toContain(refreshed.accessToken);
    expect(raw).not.toContain(refreshed.refreshToken!);
    expect(await readConnectionState(database.db, box, siteId)).toMatchObject({ status: "connected", canRefresh: true });

    // The rotated-out refresh token no longer works at the provider.
    await database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('refresh_token', ${box.encrypt(connected.refreshToken!)}::text) where id = ${siteId}`;
    const refused = await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenRefreshError);
    expect((refused as Error).message).toMatch(/invalid_grant.*Connect/);
    expect((refused as Error).message).not.toContain(connected.refreshToken!);
    expect((refused as Error).message).not.toContain(client.clientSecret);
  });

  it("refreshes a token that has not expired yet too, when asked to", async () => {
    const { siteId } = await oauth2Site();
    expect(await callback(siteId, await approvedCallbackQuery(siteId))).toEqual({ connected: true });
    const connected = (await readSiteToken(database.db, box, siteId))!;
    server.resetTokenRequests();

    await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor });

    expect(server.tokenRequests()).toBe(1);
    const refreshed = (await readSiteToken(database.db, box, siteId))!;
    expect(refreshed.accessToken).not.toBe(connected.accessToken);
    expect(refreshed.refreshToken).not.toBe(connected.refreshToken);
    expect((await server.introspect(refreshed.accessToken)).active).toBe(true);
  });

  it("without a refresh token, asks to Connect instead", async () => {
    const { siteId } = await oauth2Site();
    await expect(refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor })).rejects.toThrow(/no refresh token.*Connect/);
    expect(server.tokenRequests()).toBe(0);
  });
});
