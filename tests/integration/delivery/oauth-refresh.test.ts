import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { readSiteToken, writeSiteToken } from "@/lib/oauth/site-token";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startReceiver, type Receiver } from "../../helpers/http-receiver";
import { startIntrospectingReceiver, startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";

/**
 * Deliveries to an `oauth2` site whose access token expired: the local worker refreshes it with the
 * refresh token, once per site however many sends are waiting (issue 8), against a real provider,
 * to a receiver that checks every bearer token with the provider (token introspection).
 */

const RETRY_MS = 300;
const box = createSecretBox(randomBytes(32));
let database: TestDatabase;
let oauth: OAuthTestServer;
let worker: LocalWorker;
let receiver: Receiver;
let customerId: string;

beforeAll(async () => {
  [database, oauth] = await Promise.all([createTestDatabase(), startOAuthServer({ accessTokenTtl: 600, rotateRefreshToken: true })]);
  customerId = await insertCustomer(database.db);
  receiver = await startIntrospectingReceiver(oauth);
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.0/8", retryIntervalMs: RETRY_MS, purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await Promise.all([database?.drop(), oauth?.close()]);
});
beforeEach(() => oauth.resetTokenRequests());

/** An active oauth2 site (10 threads) connected earlier: its access token has expired, its refresh token is valid. */
async function siteWithExpiredToken(options: { refreshToken?: string | null } = {}) {
  const { clientId, clientSecret } = oauth.clients.webApp;
  const siteId = await insertSite(database.db, {
    url: `${receiver.url}/hooks`,
    threads: 10,
    rps: 1000,
    box,
    authMethod: "oauth2",
    authParams: { consumerKey: clientId, consumerSecret: clientSecret, authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, scope: "openid offline_access" },
  });
  const refreshToken = options.refreshToken === null ? undefined : (options.refreshToken ?? (await oauth.issueRefreshToken()));
  await writeSiteToken(
    database.db,
    box,
    siteId,
    { accessToken: "expired-access-token", refreshToken, expiresAt: new Date(Date.now() - 60_000) },
    new Date(Date.now() - 3_660_000),
  );
  oauth.resetTokenRequests();
  return { siteId, refreshToken };
}

const send = (siteId: string, n: number) => enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { n } }).then((m) => m.id);
const sentWith = (ids: string[]) =>
  new Set(receiver.decisions.filter((d) => ids.includes(d.request.headers["webhook-id"]!)).map((d) => d.request.headers.authorization));

describe("deliveries to an oauth2 site whose access token expired", () => {
  it("ten waiting sends refresh the token once, and all go out with the new token", async () => {
    const { siteId, refreshToken } = await siteWithExpiredToken();

    const ids = await Promise.all(Array.from({ length: 10 }, (_, n) => send(siteId, n)));
    for (const id of ids) expect(await waitUntilFinished(database.db, id, 15_000)).toMatchObject({ status: "done", attempts: 1 });

    expect(oauth.tokenRequests()).toBe(1);
    const stored = (await readSiteToken(database.db, box, siteId))!;
    expect(stored.accessToken).not.toBe("expired-access-token");
    expect(stored.refreshToken).not.toBe(refreshToken); // rotated by the provider
    expect(stored.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    expect(sentWith(ids)).toEqual(new Set([`Bearer ${stored.accessToken}`]));
    expect(await oauth.introspect(stored.accessToken)).toMatchObject({ active: true, sub: "user-1" });

    // The next sends reuse the token: no further token request.
    const later = await send(siteId, 11);
    expect(await waitUntilFinished(database.db, later)).toMatchObject({ status: "done", attempts: 1 });
    expect(oauth.tokenRequests()).toBe(1);
  });

  it("a token the receiver refuses (401) is refreshed once and the request re-sent at once, within the same attempt", async () => {
    const { siteId } = await siteWithExpiredToken();
    const first = await send(siteId, 1);
    expect(await waitUntilFinished(database.db, first)).toMatchObject({ status: "done" });
    const before = (await readSiteToken(database.db, box, siteId))!;
    await revokeCachedToken(siteId);

    const id = await send(siteId, 2);
    expect(await waitUntilFinished(database.db, id)).toMatchObject({ status: "done", attempts: 1 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => [a.status, a.responseCode, a.error])).toEqual([["done", 200, null]]);
    expect(attempts[0]!.request).toMatchObject({ resentAfterTokenRefresh: true, headers: { authorization: "[redacted]" } });
    expect(oauth.tokenRequests()).toBe(1);
    const renewed = (await readSiteToken(database.db, box, siteId))!;
    expect(renewed.accessToken).not.toBe(before.accessToken);
    expect(sentWith([id])).toEqual(new Set(["Bearer revoked-access-token", `Bearer ${renewed.accessToken}`]));
  });

  it("a 401 that answers late, after another send already refreshed, does not wipe the new token (one refresh for all)", async () => {
    const { siteId } = await siteWithExpiredToken();
    expect(await waitUntilFinished(database.db, await send(siteId, 0))).toMatchObject({ status: "done" });
    await revokeCachedToken(siteId);
    // The six sends with the revoked token are held until all have arrived; then three are refused
    // at once and three late, once the first three have refreshed the token.
    let refusals = 0;
    let allArrived: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    const slow = await startReceiver(async (request) => {
      if (request.headers.authorization === "Bearer revoked-access-token") {
        const n = ++refusals;
        if (n === 6) allArrived();
        await Promise.race([arrived, new Promise((r) => setTimeout(r, 5_000))]);
        if (n > 3) await new Promise((r) => setTimeout(r, 600));
        return { accepted: false, reason: "revoked" };
      }
      const introspection = await oauth.introspect(request.headers.authorization!.slice("Bearer ".length));
      return { accepted: introspection.active, reason: "introspected" };
    });
    try {
      await database.sql`update trusted_sites set url = ${`${slow.url}/hooks`} where id = ${siteId}`;
      const ids = await Promise.all(Array.from({ length: 6 }, (_, n) => send(siteId, n)));
      for (const id of ids) expect(await waitUntilFinished(database.db, id, 15_000)).toMatchObject({ status: "done", attempts: 1 });
      expect(refusals).toBe(6);
      expect(oauth.tokenRequests()).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("a second 401, with the new token too, fails the attempt as before", async () => {
    const { siteId } = await siteWithExpiredToken();
    const refusing = await startReceiver(() => ({ accepted: false, reason: "this receiver refuses everyone" }));
    try {
      await database.sql`update trusted_sites set url = ${`${refusing.url}/hooks`} where id = ${siteId}`;
      const id = await send(siteId, 1);
      const [attempt] = await waitForFirstAttempt(id);
      await database.sql`update trusted_sites set status = 'inactive' where id = ${siteId}`;
      expect(attempt).toMatchObject({ attemptNo: 1, status: "resent", responseCode: 401 });
      expect(attempt!.error).toBe("the receiver answered 401 (also after a new access token)");
      expect(attempt!.request).toMatchObject({ resentAfterTokenRefresh: true });
      const mine = refusing.decisions.filter((d) => d.request.headers["webhook-id"] === id);
      // The expired token was refreshed for the first send, and refreshed again after its 401.
      expect(oauth.tokenRequests()).toBe(2);
      expect(mine).toHaveLength(2);
      expect(new Set(mine.map((d) => d.request.headers.authorization)).size).toBe(2);
    } finally {
      await refusing.close();
    }
  });

  it("without a refresh token, the attempt fails saying to press Connect, without calling the provider", async () => {
    const { siteId } = await siteWithExpiredToken({ refreshToken: null });
    const id = await send(siteId, 1);
    // The first attempt fails; stop there rather than wait for all five.
    const [attempt] = await waitForFirstAttempt(id);
    expect(attempt!.status).toBe("resent");
    expect(attempt!.error).toMatch(/not connected to its OAuth provider.*press Connect/);
    expect(attempt!.responseCode).toBeNull();
    expect(oauth.tokenRequests()).toBe(0);
    expect(sentWith([id]).size).toBe(0);
    await database.sql`update trusted_sites set status = 'inactive' where id = ${siteId}`;
  });
});

/** The provider no longer accepts the cached token (revoked, say) although it has not expired. */
async function revokeCachedToken(siteId: string) {
  await database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('access_token', ${box.encrypt("revoked-access-token")}::text) where id = ${siteId}`;
  oauth.resetTokenRequests();
}

async function waitForFirstAttempt(id: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await attemptRows(database.db, id);
    if (rows[0] && rows[0].status !== "queued") return rows;
    if (Date.now() > deadline) throw new Error("the first attempt did not finish");
    await new Promise((r) => setTimeout(r, 25));
  }
}
