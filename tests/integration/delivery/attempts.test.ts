import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { RESPONSE_EXCERPT_BYTES } from "@/lib/delivery/policy/delivery-rules";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, messageRow, waitFor, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { closedPort } from "../../helpers/ports";
import { startWebhookReceiver, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

const RETRY_MS = 300;
const box = createSecretBox(randomBytes(32));
let database: TestDatabase;
let worker: LocalWorker;
let customerId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: RETRY_MS, claimTtlMs: 5_000, purgeEveryMs: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

async function receiver(reply: (n: number) => Reply) {
  const r = await startWebhookReceiver((_, n) => reply(n));
  receivers.push(r);
  return r;
}

async function send(url: string, site: Partial<Parameters<typeof insertSite>[1]> = {}, payload: unknown = { points: 42 }) {
  const siteId = await insertSite(database.db, { url, box, ...site });
  const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload });
  return { siteId, id };
}

describe("the attempt state machine (DESIGN §3)", () => {
  it("500, 500, 200: attempts resent, resent, done, the interval apart, with the same content and id", async () => {
    const r = await receiver((n) => ({ status: n < 3 ? 500 : 200, body: n < 3 ? "try later" : "ok" }));
    const { id, siteId } = await send(`${r.url}/hooks?x=1`, { contentType: "application/vnd.shop+json" });
    const message = await waitUntilFinished(database.db, id);

    expect(message).toMatchObject({ status: "done", attempts: 3, lockedBy: null });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => [a.attemptNo, a.status, a.responseCode])).toEqual([
      [1, "resent", 500],
      [2, "resent", 500],
      [3, "done", 200],
    ]);
    expect(attempts[0]).toMatchObject({ error: "the receiver answered 500", responseExcerpt: "try later", siteId, customerId });
    expect(attempts[2]!.responseExcerpt).toBe("ok");
    for (const a of attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    const gaps = r.arrivals.slice(1).map((a, i) => a.at - r.arrivals[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(RETRY_MS - 5);
    for (const gap of gaps) expect(gap).toBeLessThan(RETRY_MS + 700);
    // The next attempt is scheduled at the interval after the failure.
    expect(attempts[1]!.scheduledAt.getTime() - attempts[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(RETRY_MS - 5);

    expect(r.arrivals).toHaveLength(3);
    const [first] = r.arrivals;
    expect(first!.path).toBe("/hooks?x=1");
    expect(first!.method).toBe("POST");
    expect(first!.headers).toMatchObject({ "content-type": "application/vnd.shop+json", "webhook-id": id });
    expect(first!.headers["user-agent"]).toMatch(/^TrustedSitesWebhooks\//);
    expect(Math.abs(Number(first!.headers["webhook-timestamp"]) - first!.at / 1000)).toBeLessThan(2);
    expect(new Set(r.arrivals.map((a) => a.body)).size).toBe(1);
    expect(new Set(r.arrivals.map((a) => a.headers["webhook-id"])).size).toBe(1);
    expect(JSON.parse(first!.body)).toEqual({
      type: "points.earned",
      customerId,
      timestamp: message.createdAt.toISOString(),
      data: { points: 42 },
    });
    expect(message.contentHash).toBe(createHash("sha256").update(first!.body).digest("hex"));
    expect(attempts[2]!.request).toMatchObject({ method: "POST", url: `${r.url}/hooks?x=1`, headers: { "webhook-id": id } });
  });

  it("always 500: exactly five attempts, then the attempt and the message are failed", async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { id } = await send(r.url);
    const message = await waitUntilFinished(database.db, id);
    expect(message).toMatchObject({ status: "failed", attempts: 5, nextAttemptAt: null });
    expect(message.finishedAt).not.toBeNull();
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual(["resent", "resent", "resent", "resent", "failed"]);
    await new Promise((res) => setTimeout(res, RETRY_MS * 2));
    expect(r.arrivals).toHaveLength(5);
  });

  it("a receiver that hangs past the site's timeout fails the attempt, which is resent", async () => {
    const r = await receiver((n) => (n === 1 ? "hang" : { status: 204 }));
    const { id } = await send(r.url, { timeoutMs: 400 });
    await waitUntilFinished(database.db, id);
    const [first, second] = await attemptRows(database.db, id);
    expect(first).toMatchObject({ status: "resent", responseCode: null, error: "no response within 400 ms (timeout)" });
    expect(first!.durationMs).toBeGreaterThanOrEqual(390);
    expect(first!.durationMs).toBeLessThan(1500);
    expect(second).toMatchObject({ status: "done", responseCode: 204 });
  });

  it("a redirect is not followed: the attempt fails with the 3xx", async () => {
    const target = await receiver(() => ({ status: 200 }));
    const r = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { id } = await send(r.url);
    const first = await firstAttemptMade(id);
    expect(first).toMatchObject({ status: "resent", responseCode: 302, error: "the receiver answered 302 (a redirect, not followed)" });
    expect(target.arrivals).toHaveLength(0);
  });

  it("a refused connection and a refused address are failed attempts with a plain reason", async () => {
    const { id: refused } = await send(`http://127.0.0.1:${await closedPort()}/`);
    const { id: privateTarget } = await send("http://10.255.255.1:8080/");
    expect(await firstAttemptMade(refused)).toMatchObject({ status: "resent", error: "connection failed (ECONNREFUSED)" });
    expect((await firstAttemptMade(privateTarget)).error).toMatch(/^refused to connect to 10\.255\.255\.1 \(private/);
  });

  it("keeps only the first 2 KB of a response body", async () => {
    const r = await receiver(() => ({ status: 200, body: "é".repeat(5000) }));
    const { id } = await send(r.url);
    await waitUntilFinished(database.db, id);
    const [attempt] = await attemptRows(database.db, id);
    expect(Buffer.byteLength(attempt!.responseExcerpt!)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(attempt!.responseExcerpt!.startsWith("éé")).toBe(true);
  });

  it("records a response body with NUL bytes (binary) as done, once: regression, it could not be stored and was resent", async () => {
    const r = await receiver(() => ({ status: 200, body: "ok\u0000\u0000binary" }));
    const { id } = await send(r.url);
    await waitUntilFinished(database.db, id);
    const [attempt] = await attemptRows(database.db, id);
    expect(attempt).toMatchObject({ status: "done", responseExcerpt: "ok\uFFFD\uFFFDbinary" });
    expect(r.arrivals).toHaveLength(1);
  });

  it("signs with the site's method, records the request with credentials redacted, and stores no secret", async () => {
    const r = await receiver(() => ({ status: 200 }));
    const password = "pa55-w0rd-never-logged";
    const { id } = await send(r.url, { authMethod: "basic", authParams: { username: "shop", password } });
    await waitUntilFinished(database.db, id);
    expect(r.arrivals[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`shop:${password}`).toString("base64")}`);
    const [attempt] = await attemptRows(database.db, id);
    expect(attempt!.request!.headers.authorization).toBe("[redacted]");
    const stored = JSON.stringify([await messageRow(database.db, id), attempt]);
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(Buffer.from(`shop:${password}`).toString("base64"));
  });

  it("a 401 makes the method forget its token and send again with a new one at once, within the same attempt", async () => {
    const tokenServer = await receiver((n) => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_token: `token-${n}`, token_type: "Bearer", expires_in: 3600 }),
    }));
    const api = await receiver((n) => (n === 1 ? { status: 401 } : { status: 200 }));
    const { id } = await send(api.url, {
      authMethod: "oauth2-client-credentials",
      authParams: {
        tokenUrl: `${tokenServer.url}/token`,
        contentType: "application/x-www-form-urlencoded",
        tokenExpiration: 60,
        clientId: "app",
        clientSecret: "client-secret-xyz",
      },
    });
    await waitUntilFinished(database.db, id);
    expect(api.arrivals.map((a) => a.headers.authorization)).toEqual(["Bearer token-1", "Bearer token-2"]);
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual(["done"]);
    expect(attempts[0]!.request).toMatchObject({ resentAfterTokenRefresh: true });
    expect(JSON.stringify(attempts)).not.toMatch(/token-\d|client-secret-xyz/);
  });

  it("a token endpoint that fails is an authorization failure, recorded and resent", async () => {
    const tokenServer = await receiver(() => ({ status: 400, body: JSON.stringify({ error: "invalid_client" }), headers: { "content-type": "application/json" } }));
    const api = await receiver(() => ({ status: 200 }));
    const { id } = await send(api.url, {
      authMethod: "oauth2-client-credentials",
      authParams: {
        tokenUrl: `${tokenServer.url}/token`,
        contentType: "application/x-www-form-urlencoded",
        tokenExpiration: 60,
        clientId: "app",
        clientSecret: "client-secret-abc",
      },
    });
    const first = await firstAttemptMade(id);
    expect(first).toMatchObject({ status: "resent", responseCode: null });
    expect(first!.error).toMatch(/^authorization failed: token endpoint answered 400/);
    expect(first!.error).not.toContain("client-secret-abc");
    expect(api.arrivals).toHaveLength(0);
  });
});

/** The message's first attempt once it was made (no longer queued): polled, not slept for, so a loaded machine only makes it slower. */
async function firstAttemptMade(messageId: string) {
  return waitFor(async () => {
    const [first] = await attemptRows(database.db, messageId);
    return first && first.status !== "queued" ? first : null;
  }, 10_000, `the first attempt of ${messageId}`);
}
