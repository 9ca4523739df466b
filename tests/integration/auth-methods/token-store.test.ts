import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauth2ClientCredentialsMethod } from "@/lib/auth-methods/oauth2-client-credentials";
import type { CachedToken } from "@/lib/auth-methods/types";
import { createDatabaseTokenStore } from "@/lib/oauth/token-store";
import { createSecretBox, isEncrypted } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { authContext, bearerToken, webhookRequest } from "../../helpers/auth-request";
import { startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";
import { insertTrustedSite, siteRow } from "../../helpers/trusted-site-rows";

let database: TestDatabase;
let server: OAuthTestServer;
const box = createSecretBox(randomBytes(32));

beforeAll(async () => {
  [database, server] = await Promise.all([createTestDatabase(), startOAuthServer({ clientCredentialsTtl: 600 })]);
});
afterAll(async () => {
  await Promise.all([database?.drop(), server?.close()]);
});

function clientCredentials(clientSecret = server.clients.basic.clientSecret) {
  return {
    tokenUrl: server.tokenUrl,
    contentType: "application/x-www-form-urlencoded" as const,
    tokenExpiration: 1440,
    clientId: server.clients.basic.clientId,
    clientSecret,
    scope: "api:read",
  };
}

/** fetch, slowed down so that concurrent sends really overlap the token request. */
const slowFetch: typeof fetch = async (input, init) => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return fetch(input, init);
};

describe("database token store with a real token endpoint", () => {
  it("50 concurrent sends from two processes fetch the site's token exactly once", async () => {
    const params = clientCredentials();
    const siteId = await insertTrustedSite(database.db, "oauth2-client-credentials", { ...params, clientSecret: box.encrypt(params.clientSecret) });
    const processes = [createDatabaseTokenStore(database.db, box), createDatabaseTokenStore(database.db, box)];
    server.resetTokenRequests();

    const sends = Array.from({ length: 50 }, (_, index) =>
      oauth2ClientCredentialsMethod.authorize(
        webhookRequest(),
        params,
        authContext({ siteId, fetch: slowFetch, tokens: processes[index % 2]! }),
      ),
    );
    const tokens = new Set((await Promise.all(sends)).map(bearerToken));

    expect(server.tokenRequests()).toBe(1);
    expect(tokens.size).toBe(1);
    expect((await server.introspect([...tokens][0]!)).active).toBe(true);
  });

  it("stores the token encrypted with the site, keeping the other parameters and updated_at", async () => {
    const params = clientCredentials();
    const sealedSecret = box.encrypt(params.clientSecret);
    const siteId = await insertTrustedSite(database.db, "oauth2-client-credentials", { ...params, clientSecret: sealedSecret });
    const before = await siteRow(database.db, siteId);
    const signed = await oauth2ClientCredentialsMethod.authorize(webhookRequest(), params, authContext({ siteId, tokens: createDatabaseTokenStore(database.db, box) }));
    const accessToken = bearerToken(signed);

    const [raw] = await database.sql<{ auth_params: string }[]>`select auth_params::text from trusted_sites where id = ${siteId}`;
    expect(raw!.auth_params).not.toContain(accessToken);
    const after = await siteRow(database.db, siteId);
    expect(after.updatedAt).toEqual(before.updatedAt);
    expect(after.authParams).toMatchObject({ tokenUrl: params.tokenUrl, clientSecret: sealedSecret });
    expect(isEncrypted(after.authParams.access_token)).toBe(true);
    expect(box.decrypt(after.authParams.access_token as string)).toBe(accessToken);
    expect(Date.parse(after.authParams.expires_at as string)).toBeGreaterThan(Date.now() + 590_000);
  });

  it("reuses the cached token until shortly before it expires, then fetches a new one", async () => {
    let clock = new Date("2026-11-23T12:00:00Z");
    const now = () => clock;
    const params = clientCredentials();
    const siteId = await insertTrustedSite(database.db, "oauth2-client-credentials");
    const tokens = createDatabaseTokenStore(database.db, box, { now });
    const send = () => oauth2ClientCredentialsMethod.authorize(webhookRequest(), params, authContext({ siteId, now, tokens }));
    server.resetTokenRequests();

    const first = bearerToken(await send());
    // The server's tokens live 600 s; the margin is min(60 s, 10 % of 600 s) = 60 s.
    clock = new Date(clock.getTime() + 539_000);
    expect(bearerToken(await send())).toBe(first);
    expect(server.tokenRequests()).toBe(1);

    clock = new Date(clock.getTime() + 2_000);
    const second = bearerToken(await send());
    expect(second).not.toBe(first);
    expect(server.tokenRequests()).toBe(2);
  });

  it("invalidate (a 401 from the receiver) makes the next send fetch a new token, and keeps a refresh token", async () => {
    const siteId = await insertTrustedSite(database.db, "oauth2");
    const tokens = createDatabaseTokenStore(database.db, box);
    const issued: CachedToken = { accessToken: "at-1", refreshToken: "rt-1", expiresAt: new Date(Date.now() + 3_600_000) };
    await tokens.getOrFetch(siteId, async () => issued);
    const cached = await tokens.getOrFetch(siteId, async () => ({ accessToken: "never", expiresAt: new Date() }));
    expect(cached.accessToken).toBe("at-1");

    await tokens.invalidate(siteId, "at-1");
    const row = await siteRow(database.db, siteId);
    expect(row.authParams.access_token).toBeUndefined();
    expect(box.decrypt(row.authParams.refresh_token as string)).toBe("rt-1");

    let seen: CachedToken | null = null;
    const next = await tokens.getOrFetch(siteId, async (expired) => {
      seen = expired;
      return { accessToken: "at-2", refreshToken: expired?.refreshToken, expiresAt: new Date(Date.now() + 3_600_000) };
    });
    expect(next.accessToken).toBe("at-2");
    expect(seen).toMatchObject({ refreshToken: "rt-1" });
  });

  it("a 401 that arrives after another send already replaced the token keeps the new token (the stale-token wipe)", async () => {
    const siteId = await insertTrustedSite(database.db, "oauth2");
    const tokens = createDatabaseTokenStore(database.db, box);
    await tokens.getOrFetch(siteId, async () => ({ accessToken: "at-old", refreshToken: "rt-1", expiresAt: new Date(Date.now() + 3_600_000) }));
    // One send's 401 dropped at-old and another send fetched at-new; a second send refused with at-old answers late.
    await tokens.invalidate(siteId, "at-old");
    await tokens.getOrFetch(siteId, async () => ({ accessToken: "at-new", refreshToken: "rt-1", expiresAt: new Date(Date.now() + 3_600_000) }));
    await tokens.invalidate(siteId, "at-old");

    const row = await siteRow(database.db, siteId);
    expect(box.decrypt(row.authParams.access_token as string)).toBe("at-new");
    const reused = await tokens.getOrFetch(siteId, async () => ({ accessToken: "never", expiresAt: new Date() }));
    expect(reused.accessToken).toBe("at-new");
  });

  it("a failed fetch reaches every waiting send, caches nothing, and the next send tries again", async () => {
    const siteId = await insertTrustedSite(database.db, "oauth2-client-credentials");
    const processes = [createDatabaseTokenStore(database.db, box), createDatabaseTokenStore(database.db, box)];
    const wrong = clientCredentials("wrong-secret-wrong-secret");
    server.resetTokenRequests();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        oauth2ClientCredentialsMethod.authorize(webhookRequest(), wrong, authContext({ siteId, fetch: slowFetch, tokens: processes[index % 2]! })),
      ),
    );
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    // One failed fetch per process: the waiting process finds no token after the lock and tries itself.
    expect(server.tokenRequests()).toBe(2);
    expect((await siteRow(database.db, siteId)).authParams.access_token).toBeUndefined();

    const signed = await oauth2ClientCredentialsMethod.authorize(webhookRequest(), clientCredentials(), authContext({ siteId, tokens: processes[0]! }));
    expect((await server.introspect(bearerToken(signed))).active).toBe(true);
  });
});
