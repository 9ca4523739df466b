import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { ConflictError } from "@/lib/errors";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { completeConnect } from "@/lib/oauth/callback-exchange";
import { startConnect } from "@/lib/oauth/connect-site";
import { refreshSiteToken, TokenRefreshError } from "@/lib/oauth/refresh-site-token";
import { readSiteToken, writeSiteToken } from "@/lib/oauth/site-token";
import { readTokenHealth, refusedSites, type TokenHealth } from "@/lib/oauth/token-health";
import { createGuardedFetch } from "@/lib/outbound/guarded-fetch";
import { createSecretBox } from "@/lib/secrets";
import { oauthRedirectUrl } from "@/lib/trusted-sites/oauth-redirect-url";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startIntrospectingReceiver, startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";
import type { Receiver } from "../../helpers/http-receiver";

/**
 * Token health (issue 14) recorded where tokens are fetched, for every path: a delivery (the local
 * worker), Refresh now and Connect, against a real OAuth provider (oidc-provider) and a receiver that
 * introspects every bearer token.
 */

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
const ORIGIN = "http://backoffice.test";
const appFetch = createGuardedFetch({ allow: "127.0.0.0/8" });

let database: TestDatabase;
let oauth: OAuthTestServer;
let receiver: Receiver;
let worker: LocalWorker;
let customerId: string;

beforeAll(async () => {
  [database, oauth] = await Promise.all([createTestDatabase(), startOAuthServer({ accessTokenTtl: 600, clientCredentialsTtl: 600, rotateRefreshToken: true })]);
  customerId = await insertCustomer(database.db);
  receiver = await startIntrospectingReceiver(oauth);
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.0/8", retryIntervalMs: 2_000, purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await Promise.all([database?.drop(), oauth?.close()]);
});

const health = (siteId: string) => readTokenHealth(database.db, siteId);
const send = (siteId: string) => enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { n: 1 } }).then((m) => m.id);

/** Every value that must never reach the health record. */
function expectNoSecrets(recorded: TokenHealth, secrets: (string | undefined)[]) {
  const text = JSON.stringify(recorded);
  for (const secret of secrets) if (secret) expect(text).not.toContain(secret);
}

/** An active oauth2 site of a provider client that accepts its Redirect URL, with an expired access token and the given refresh token. */
async function oauth2Site(options: { refreshToken?: string | "issued" } = {}) {
  const client = await oauth.registerWebAppClient(["http://127.0.0.1/later"]);
  const refreshToken = options.refreshToken === "issued" ? await oauth.issueRefreshToken({ clientId: client.clientId }) : options.refreshToken;
  const siteId = await insertSite(database.db, {
    url: `${receiver.url}/hooks`,
    box,
    authMethod: "oauth2",
    authParams: { consumerKey: client.clientId, consumerSecret: client.clientSecret, authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, scope: "openid offline_access" },
  });
  await oauth.registerWebAppClient([oauthRedirectUrl(ORIGIN, siteId)], client);
  if (refreshToken) {
    await writeSiteToken(database.db, box, siteId, { accessToken: "expired-access-token", refreshToken, expiresAt: new Date(Date.now() - 60_000) }, new Date(Date.now() - 3_660_000));
  }
  return { siteId, client };
}

async function connectThroughProvider(siteId: string) {
  const target = await startConnect(database.db, box, { siteId, origin: ORIGIN, actor });
  const returned = await oauth.approveAuthorization(target.href);
  return completeConnect(database.db, box, siteId, returned.searchParams, { fetch: appFetch });
}

function clientCredentialsSite(clientSecret = oauth.clients.basic.clientSecret) {
  return insertSite(database.db, {
    url: `${receiver.url}/hooks`,
    box,
    authMethod: "oauth2-client-credentials",
    authParams: {
      tokenUrl: oauth.tokenUrl,
      contentType: "application/x-www-form-urlencoded",
      tokenExpiration: 1440,
      clientId: oauth.clients.basic.clientId,
      clientSecret,
      scope: "api:read",
    },
  });
}

describe("token health of an oauth2 (authorization code) site", () => {
  it("a successful Connect records the token obtained; nothing was obtained before", async () => {
    const { siteId } = await oauth2Site();
    expect(await health(siteId)).toEqual({ lastObtainedAt: null, lastError: null, refusal: null, waitingMessages: 0 });
    const before = Date.now();

    expect(await connectThroughProvider(siteId)).toEqual({ connected: true });

    const recorded = await health(siteId);
    expect(Date.parse(recorded.lastObtainedAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(recorded).toMatchObject({ lastError: null, refusal: null });
    const token = (await readSiteToken(database.db, box, siteId))!;
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
  });

  it("a delivery that refreshes the expired token records when, and the new token is valid for its lifetime", async () => {
    const { siteId } = await oauth2Site({ refreshToken: "issued" });
    const before = Date.now();

    const id = await send(siteId);
    expect(await waitUntilFinished(database.db, id, 15_000)).toMatchObject({ status: "done", attempts: 1 });

    const recorded = await health(siteId);
    expect(Date.parse(recorded.lastObtainedAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(recorded.refusal).toBeNull();
    const token = (await readSiteToken(database.db, box, siteId))!;
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
  });

  it("a refused refresh (invalid_grant) marks the site as needing re-authorisation, for Refresh now and deliveries alike, until a Connect succeeds", async () => {
    const revoked = "a-refresh-token-the-provider-never-issued";
    const { siteId, client } = await oauth2Site({ refreshToken: revoked });

    // Refresh now: refused by the provider.
    const refused = await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenRefreshError);
    let recorded = await health(siteId);
    expect(recorded.refusal).toEqual({ kind: "needs_reauthorization", at: expect.any(String) });
    expect(recorded.lastError).toMatchObject({ status: 400, code: "invalid_grant", message: expect.stringMatching(/^token endpoint answered 400 invalid_grant.*press Connect/) });
    expect(recorded.lastObtainedAt).toBeNull();
    expectNoSecrets(recorded, [revoked, client.clientSecret]);
    expect((await refusedSites(database.db)).get(siteId)).toBe("needs_reauthorization");

    // A delivery meanwhile fails its attempt on the same refusal, and the banner counts it as waiting.
    const id = await send(siteId);
    // Retries are 2 s apart here: the message is still waiting (resent) while the test goes on.
    await expect.poll(async () => (await attemptRows(database.db, id))[0]?.error, { timeout: 10_000 }).toMatch(/invalid_grant/);
    recorded = await health(siteId);
    expect(recorded.refusal?.kind).toBe("needs_reauthorization");
    expect(recorded.waitingMessages).toBe(1);

    // A failed Connect (a code the provider did not issue) is recorded as Connect's error, and the refusal stays.
    const state = (await startConnect(database.db, box, { siteId, origin: ORIGIN, actor })).searchParams.get("state")!;
    expect(await completeConnect(database.db, box, siteId, new URLSearchParams({ state, code: "not-a-code" }), { fetch: appFetch })).toMatchObject({ connected: false });
    recorded = await health(siteId);
    expect(recorded.lastError?.message).toMatch(/^Connect: token endpoint answered 400 invalid_grant/);
    expect(recorded.refusal?.kind).toBe("needs_reauthorization");

    // Re-connect: the refusal is over, and the waiting message goes out with the new token.
    expect(await connectThroughProvider(siteId)).toEqual({ connected: true });
    recorded = await health(siteId);
    expect(recorded.refusal).toBeNull();
    expect(recorded.lastObtainedAt).not.toBeNull();
    expect((await refusedSites(database.db)).has(siteId)).toBe(false);
    const after = await send(siteId);
    expect(await waitUntilFinished(database.db, after, 15_000)).toMatchObject({ status: "done", attempts: 1 });
  });

  it("a token endpoint it cannot reach is an error, not a refusal, and does not clear one", async () => {
    const { siteId } = await oauth2Site({ refreshToken: "issued" });
    const unreachable = createGuardedFetch({ allow: "" });
    await expect(refreshSiteToken(database.db, box, siteId, { fetch: unreachable, actor })).rejects.toBeInstanceOf(TokenRefreshError);
    const recorded = await health(siteId);
    expect(recorded.refusal).toBeNull();
    expect(recorded.lastError).toMatchObject({ status: null, code: null, message: expect.stringMatching(/could not be reached/) });
  });
});

describe("token health of token-request sites", () => {
  it("Refresh now fetches a new client-credentials token even while the cached one is fresh, records it and audits it", async () => {
    const siteId = await clientCredentialsSite();
    const id = await send(siteId);
    expect(await waitUntilFinished(database.db, id, 15_000)).toMatchObject({ status: "done" });
    const first = (await readSiteToken(database.db, box, siteId))!;
    const firstObtained = (await health(siteId)).lastObtainedAt!;
    oauth.resetTokenRequests();

    const { expiresAt } = await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor });

    expect(oauth.tokenRequests()).toBe(1);
    const second = (await readSiteToken(database.db, box, siteId))!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.expiresAt).toEqual(expiresAt);
    expect((await oauth.introspect(second.accessToken)).active).toBe(true);
    expect(Date.parse((await health(siteId)).lastObtainedAt!)).toBeGreaterThanOrEqual(Date.parse(firstObtained));
    const [event] = await listSiteAuditEvents(database.db, siteId);
    expect(event).toMatchObject({ action: "site.token_refreshed", actor: "ops@example.com", details: { expiresAt: expiresAt.toISOString() } });
  });

  it("a refused client secret is 'credentials refused', with the provider's code and status and not the secret", async () => {
    const wrongSecret = "not-the-client-secret-at-all";
    const siteId = await clientCredentialsSite(wrongSecret);
    const id = await send(siteId);
    await expect.poll(async () => (await health(siteId)).refusal?.kind, { timeout: 10_000 }).toBe("credentials_refused");
    const recorded = await health(siteId);
    expect(recorded.lastError).toMatchObject({ status: 401, code: "invalid_client" });
    expectNoSecrets(recorded, [wrongSecret, oauth.clients.basic.clientSecret]);
    // Delivery semantics are unchanged: the attempts fail and are retried as before. The token store
    // records the refusal before the attempt's outcome is written, so the outcome is waited for.
    await expect.poll(async () => (await attemptRows(database.db, id))[0]?.error ?? "", { timeout: 10_000 }).toMatch(/invalid_client/);
  });

  it("Refresh now gets an oauth2-jwt-private-key site its first token, recorded as obtained", async () => {
    const client = oauth.clients.jwtBearerRs256;
    const siteId = await insertSite(database.db, {
      url: `${receiver.url}/hooks`,
      box,
      authMethod: "oauth2-jwt-private-key",
      authParams: {
        tokenUrl: oauth.tokenUrl,
        contentType: "application/x-www-form-urlencoded",
        tokenExpiration: 30,
        clientId: client.clientId,
        privateKey: client.privateKeyPem,
        keyId: client.keyId,
        signAlgorithm: client.algorithm,
        scope: "api:read",
        mode: "jwt-bearer",
      },
    });
    expect(await readSiteToken(database.db, box, siteId)).toBeNull();

    const { expiresAt } = await refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor });

    const token = (await readSiteToken(database.db, box, siteId))!;
    expect((await oauth.introspect(token.accessToken)).active).toBe(true);
    // The server's 600 s lifetime is shorter than the site's 30-minute cap.
    expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    const recorded = await health(siteId);
    expect(recorded.lastObtainedAt).not.toBeNull();
    expect(recorded.refusal).toBeNull();
    expectNoSecrets(recorded, [client.privateKeyPem, token.accessToken]);
  });

  it("refuses Refresh now for a site without an OAuth method", async () => {
    const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, box, authMethod: "basic", authParams: { username: "u", password: "p" } });
    await expect(refreshSiteToken(database.db, box, siteId, { fetch: appFetch, actor })).rejects.toBeInstanceOf(ConflictError);
    expect(await health(siteId)).toMatchObject({ lastObtainedAt: null, lastError: null });
  });
});
