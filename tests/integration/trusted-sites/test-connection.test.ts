import { randomBytes, randomUUID } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as postTest } from "@/app/api/trusted-sites/[id]/test/route";
import { POST as postTokenTest } from "@/app/api/trusted-sites/test-token-endpoint/route";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Explanation } from "@/lib/auth-methods/types";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { ConflictError, ValidationError } from "@/lib/errors";
import { writeSiteToken } from "@/lib/oauth/site-token";
import { createDatabaseTokenStore } from "@/lib/oauth/token-store";
import { createGuardedFetch } from "@/lib/outbound/guarded-fetch";
import { secrets, type SecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { testConnection, type ConnectionTest } from "@/lib/trusted-sites/test-connection";
import { testTokenEndpoint } from "@/lib/trusted-sites/test-token-endpoint";
import { makeAppDatabase } from "../../helpers/app-database";
import { escherVerifier, receiverStringToSign, sigV4Verifier } from "../../helpers/aws-verifiers";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { startReceiver, type ReceivedRequest, type Receiver } from "../../helpers/http-receiver";
import { startIntrospectingReceiver, startOAuthServer, type OAuthTestServer } from "../../helpers/oauth-server";
import { closedPort } from "../../helpers/ports";
import { startS3Server, type S3Server } from "../../helpers/s3-server";
import { makeTestPki, type TestPki } from "../../helpers/tls-certificates";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

/**
 * Test connection (issue 14) against real peers on 127.0.0.1: what the page shows as sent is what
 * the receiver got, each method's explanation is what a verifier on the receiving side computes,
 * and no secret is in the answer.
 */

const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let box: SecretBox;
let database: TestDatabase;
let oauth: OAuthTestServer;
let plain: WebhookReceiver;
/** What the plain receiver answers next. */
let plainReply: { status: number; body?: string; headers?: Record<string, string> } | "hang" = { status: 204 };
let pki: TestPki;
/** An https receiver that asks for a client certificate (403 without one its CA signed). */
let tls: https.Server;
let tlsUrl: string;
const tlsSeen: { authorized: boolean; subject: string | null; secret: string | undefined }[] = [];

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  box = secrets();
  database = await createTestDatabase();
  makeAppDatabase(database);
  oauth = await startOAuthServer({ clientCredentialsTtl: 600 });
  plain = await startWebhookReceiver(() => plainReply);
  pki = makeTestPki();
  tls = https.createServer({ key: pki.server.key, cert: pki.server.certificate, ca: pki.ca.certificate, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    tlsSeen.push({ authorized: socket.authorized, subject: peer?.subject?.CN ? String(peer.subject.CN) : null, secret: req.headers["x-api-secret"] as string | undefined });
    req.resume();
    req.on("end", () => res.writeHead(socket.authorized ? 200 : 403, { "x-receiver": "mtls" }).end(socket.authorized ? "hello" : "client certificate required"));
  });
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await plain?.close();
  tls?.closeAllConnections();
  await new Promise((resolve) => tls?.close(resolve));
  await oauth?.close();
  await database?.drop();
});

const deps = () => ({ db: database.db, box, fetch: createGuardedFetch({ allow: "127.0.0.1" }), tokens: createDatabaseTokenStore(database.db, box) });

async function site(authMethod: string, authParams: Record<string, unknown>, url: string, extra: Record<string, unknown> = {}) {
  const created = await createSite(database.db, box, actor, {
    name: `Test ${authMethod} ${randomBytes(4).toString("hex")}`,
    url,
    authMethod,
    authParams,
    timeoutMs: 2_000,
    ...extra,
  });
  return created.id;
}

function item(explanation: Explanation | null, key: string): string {
  const found = explanation?.items.find((i) => i.key === key);
  if (!found) throw new Error(`no explanation item ${key} in ${JSON.stringify(explanation)}`);
  return found.value;
}

/** The shown request is the one received: method, path, body and every header shown in clear. */
function expectShownAsReceived(test: ConnectionTest, received: { method: string; path: string; headers: Record<string, string>; body: string }) {
  const shown = test.request!;
  expect(shown.method).toBe(received.method);
  expect(new URL(shown.url).pathname + new URL(shown.url).search).toBe(received.path);
  expect(shown.body).toBe(received.body);
  for (const [name, value] of Object.entries(shown.headers)) {
    if (value !== "[redacted]") expect(received.headers[name], name).toBe(value);
    else expect(received.headers[name], name).toBeDefined();
  }
}

function expectNoSecrets(test: unknown, values: readonly string[]) {
  const text = JSON.stringify(test);
  for (const value of values) {
    // As JSON writes it too (a PEM key's line breaks), and each line of a multi-line secret alone.
    for (const form of [value, JSON.stringify(value).slice(1, -1), ...value.split("\n").filter((line) => line.length >= 16)]) {
      expect(text).not.toContain(form);
    }
  }
}

describe("Test connection", () => {
  it("a draft site without authentication: the test envelope as received, not paced, not in the Logs, audited", async () => {
    plainReply = { status: 202, body: '{"ok":true}', headers: { "x-receiver": "plain" } };
    const siteId = await site("none", {}, `${plain.url}/hooks?source=backoffice`);
    const test = await testConnection(deps(), actor, siteId);

    const arrival = plain.arrivals.at(-1)!;
    expectShownAsReceived(test, arrival);
    expect(arrival.headers["webhook-id"]).toBe(test.testId);
    expect(JSON.parse(arrival.body)).toMatchObject({ type: "test_connection", data: { test: true } });
    expect(test.explanation).toBeNull();
    expect(test.pacing).toMatch(/not paced/i);
    expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 202, bodyExcerpt: '{"ok":true}' });
    if (test.outcome.kind !== "response") throw new Error("no response");
    expect(test.outcome.headers).toContainEqual(["x-receiver", "plain"]);
    expect(test.outcome.verdict).toMatch(/accepted/);

    expect(await database.sql`select count(*)::int as n from webhook_messages`).toEqual([{ n: 0 }]);
    expect(await database.sql`select count(*)::int as n from webhook_attempts`).toEqual([{ n: 0 }]);
    const trail = await listSiteAuditEvents(database.db, siteId);
    expect(trail[0]).toMatchObject({ action: "site.tested", details: { status: 202 } });
  });

  it("basic: the Authorization header is redacted, the username shown, the password nowhere", async () => {
    plainReply = { status: 200 };
    const password = "s3cret-basic-password-zz";
    const siteId = await site("basic", { username: "loyalty-app", password }, `${plain.url}/basic`);
    const test = await testConnection(deps(), actor, siteId);
    const arrival = plain.arrivals.at(-1)!;
    expectShownAsReceived(test, arrival);
    expect(test.request!.headers.authorization).toBe("[redacted]");
    expect(Buffer.from(arrival.headers.authorization!.replace("Basic ", ""), "base64").toString()).toBe(`loyalty-app:${password}`);
    expect(item(test.explanation, "username")).toBe("loyalty-app");
    expectNoSecrets(test, [password, arrival.headers.authorization!]);
  });

  it("static header: the header named, its value redacted and nowhere in the answer", async () => {
    plainReply = { status: 200 };
    const key = "static-api-key-value-8080";
    const siteId = await site("static-header", { headerName: "X-Api-Key", headerValue: key }, `${plain.url}/static`);
    const test = await testConnection(deps(), actor, siteId);
    const arrival = plain.arrivals.at(-1)!;
    expect(arrival.headers["x-api-key"]).toBe(key);
    expectShownAsReceived(test, arrival);
    expect(test.request!.headers["x-api-key"]).toBe("[redacted]");
    expect(item(test.explanation, "headerName")).toBe("x-api-key");
    expectNoSecrets(test, [key]);
  });

  it("a receiver that echoes the request back does not reveal the credentials it carried", async () => {
    const echo = await startReceiver((request) => ({ accepted: true, reason: JSON.stringify(request.headers) }));
    try {
      const password = "echoed-password-9911";
      const siteId = await site("basic", { username: "echo", password }, `${echo.url}/echo`);
      const test = await testConnection(deps(), actor, siteId);
      const sent = echo.decisions.at(-1)!.request.headers.authorization!;
      expect(test.outcome).toMatchObject({ kind: "response", status: 200 });
      if (test.outcome.kind === "response") expect(test.outcome.bodyExcerpt).toContain('"authorization":"[redacted]"');
      expectNoSecrets(test, [password, sent, sent.replace("Basic ", "")]);
    } finally {
      await echo.close();
    }
  });

  describe("aws", () => {
    const params = { region: "eu-west-1", service: "execute-api", accessKeyId: "AKIDEXAMPLETEST", secretAccessKey: "aws-secret-key-for-the-test-0001" };
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver(
        sigV4Verifier({ region: params.region, service: params.service, secrets: { [params.accessKeyId]: params.secretAccessKey }, uriEscapePath: true }),
      );
    });
    afterAll(() => receiver.close());

    it("the canonical request and string to sign are the ones the official AWS signer computes on the receiving side", async () => {
      const siteId = await site("aws", params, `${receiver.url}/prod/hooks/contact events?b=2&a=x y`);
      const test = await testConnection(deps(), actor, siteId);
      const { request, decision } = receiver.decisions.at(-1)!;
      expect(decision).toEqual({ accepted: true, reason: params.accessKeyId });
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200 });
      expectShownAsReceived(test, request);
      const computed = await receiverStringToSign(request, { uriEscapePath: true });
      expect(item(test.explanation, "stringToSign")).toBe(computed.stringToSign);
      expect(item(test.explanation, "canonicalRequest")).toBe(computed.canonicalRequest);
      expect(item(test.explanation, "signatureCheck")).toMatch(/gives the authorization header that was sent/);
      expectNoSecrets(test, [params.secretAccessKey, request.headers.authorization!]);
    });

    it("Escher-style variant: escher-auth's verifier accepts it, and its string to sign is the one shown", async () => {
      const escher = { region: "eu", service: "suite", accessKeyId: "suite_test_v1", secretAccessKey: "escher-test-secret-77aa", algorithmPrefix: "EMS", vendorKey: "Ems" };
      const config = { algoPrefix: "EMS", vendorKey: "EMS", credentialScope: "eu/suite/ems_request", authHeaderName: "X-Ems-Auth", dateHeaderName: "X-Ems-Date" };
      let stringToSign = "";
      const escherReceiver = await startReceiver(async (received: ReceivedRequest) => {
        const Signer = (await import("escher-auth/lib/signer.js")).default;
        const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(received.headers["x-ems-date"] ?? "")!;
        const signedHeaders = /SignedHeaders=([^,]+)/.exec(received.headers["x-ems-auth"] ?? "")![1]!.split(";");
        stringToSign = new Signer({ ...config, hashAlgo: "SHA256" }, new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`)).getStringToSign(
          { method: received.method, url: received.path, headers: received.rawHeaders },
          received.body,
          signedHeaders,
        );
        return escherVerifier(config, { [escher.accessKeyId]: escher.secretAccessKey })(received);
      });
      try {
        const siteId = await site("aws", escher, `${escherReceiver.url}/api/v2/hooks?b=2&a=x y`);
        const test = await testConnection(deps(), actor, siteId);
        expect(escherReceiver.decisions.at(-1)!.decision).toEqual({ accepted: true, reason: escher.accessKeyId });
        expect(item(test.explanation, "stringToSign")).toBe(stringToSign);
        expect(item(test.explanation, "stringToSign")).toMatch(/^EMS-HMAC-SHA256\n/);
        expect(item(test.explanation, "signatureCheck")).toMatch(/gives the x-ems-auth header/);
        expectNoSecrets(test, [escher.secretAccessKey]);
      } finally {
        await escherReceiver.close();
      }
    });
  });

  describe("aws-s3", () => {
    let s3: S3Server;
    beforeAll(async () => {
      s3 = await startS3Server(["webhooks"]);
    });
    afterAll(() => s3.close());

    it("s3rver stores the test object under the key the canonical request names; a SigV4 receiver computes the same string to sign", async () => {
      const params = { service: "s3", accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, filenameFormat: "tests/{action}/{messageId}.json" };
      const siteId = await site("aws-s3", params, `${s3.url}/webhooks`);
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200 });
      const key = `tests/test_connection/${test.testId}.json`;
      expect((await s3.storedObject("webhooks", key))?.toString()).toBe(test.request!.body);
      expect(item(test.explanation, "canonicalRequest")).toContain(`PUT\n/webhooks/${key}\n`);

      // The same site's request to a receiver that computes what S3 computes (path not escaped again, body hash required).
      const receiver = await startReceiver(
        sigV4Verifier({ region: "us-east-1", service: "s3", secrets: { [s3.accessKeyId]: s3.secretAccessKey }, uriEscapePath: false, requireBodyHash: true }),
      );
      try {
        await database.sql`update trusted_sites set url = ${`${receiver.url}/webhooks`} where id = ${siteId}`;
        const again = await testConnection(deps(), actor, siteId);
        const { request, decision } = receiver.decisions.at(-1)!;
        expect(decision.accepted).toBe(true);
        expect(item(again.explanation, "stringToSign")).toBe((await receiverStringToSign(request, { uriEscapePath: false })).stringToSign);
      } finally {
        await receiver.close();
      }
    });
  });

  it("jwt: the decoded header and claims are those the receiver verified with the shared secret", async () => {
    const secret = "jwt-shared-secret-for-the-connection-test-0123456789";
    let verified: unknown = null;
    const receiver = await startReceiver(async (request) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")![1]!;
      const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
      verified = { payload, protectedHeader };
      return { accepted: true, reason: "ok" };
    });
    try {
      const siteId = await site("jwt", { algorithm: "HS256", secret, payload: { iss: "loyalty-app", tier: 2 }, timeToLive: "5 minutes" }, `${receiver.url}/jwt`);
      const test = await testConnection(deps(), actor, siteId);
      const { payload, protectedHeader } = verified as { payload: Record<string, unknown>; protectedHeader: Record<string, unknown> };
      expect(JSON.parse(item(test.explanation, "claims"))).toEqual(payload);
      expect(payload).toMatchObject({ iss: "loyalty-app", tier: 2, exp: (payload.iat as number) + 300 });
      expect(JSON.parse(item(test.explanation, "header"))).toEqual(protectedHeader);
      const token = receiver.decisions.at(-1)!.request.headers.authorization!.replace("Bearer ", "");
      expectNoSecrets(test, [secret, token]);
    } finally {
      await receiver.close();
    }
  });

  describe("OAuth", () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startIntrospectingReceiver(oauth);
    });
    afterAll(() => receiver.close());

    const sentToken = () => receiver.decisions.at(-1)!.request.headers.authorization!.replace("Bearer ", "");

    it("client credentials: the token response with the token redacted, then the cached token on the next test", async () => {
      const { clientId, clientSecret } = oauth.clients.basic;
      const siteId = await site(
        "oauth2-client-credentials",
        { tokenUrl: oauth.tokenUrl, contentType: "application/x-www-form-urlencoded", tokenExpiration: 60, clientId, clientSecret, scope: "api:read" },
        `${receiver.url}/oauth`,
      );
      const test = await testConnection(deps(), actor, siteId);
      expect(receiver.decisions.at(-1)!.decision.accepted).toBe(true);
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200 });
      const response = JSON.parse(item(test.explanation, "tokenResponse"));
      expect(response).toMatchObject({
        url: oauth.tokenUrl,
        status: 200,
        body: { access_token: "[redacted]", token_type: "Bearer", expires_in: 600, scope: "api:read" },
      });
      expectNoSecrets(test, [clientSecret, sentToken()]);

      const cached = await testConnection(deps(), actor, siteId);
      expect(cached.explanation!.summary).toMatch(/cache/);
      expect(cached.explanation!.items).toEqual([]);
      expectNoSecrets(cached, [clientSecret, sentToken()]);
    });

    it("JWT with private key: the jwt-bearer exchange's response, redacted", async () => {
      const client = oauth.clients.jwtBearerRs256;
      const siteId = await site(
        "oauth2-jwt-private-key",
        { tokenUrl: oauth.tokenUrl, mode: "jwt-bearer", contentType: "application/x-www-form-urlencoded", tokenExpiration: 60, clientId: client.clientId, signAlgorithm: "RS256", privateKey: client.privateKeyPem, keyId: client.keyId, scope: "api:read" },
        `${receiver.url}/oauth`,
      );
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200 });
      expect(JSON.parse(item(test.explanation, "tokenResponse")).body).toMatchObject({ access_token: "[redacted]", token_type: "Bearer" });
      expectNoSecrets(test, [client.privateKeyPem, sentToken()]);
    });

    it("authorization code: an expired token is refreshed, the refresh token redacted too", async () => {
      const client = await oauth.registerWebAppClient(["http://app.test/callback"]);
      const siteId = await site(
        "oauth2",
        { consumerKey: client.clientId, consumerSecret: client.clientSecret, authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, scope: "openid offline_access api:read" },
        `${receiver.url}/oauth`,
      );
      const refreshToken = await oauth.issueRefreshToken({ clientId: client.clientId, scope: "openid offline_access api:read" });
      await writeSiteToken(database.db, box, siteId, { accessToken: "expired-access-token", expiresAt: new Date(Date.now() - 60_000), refreshToken }, new Date(Date.now() - 3_600_000));
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200 });
      const response = JSON.parse(item(test.explanation, "tokenResponse"));
      expect(response.body).toMatchObject({ access_token: "[redacted]", refresh_token: "[redacted]", token_type: "Bearer" });
      expectNoSecrets(test, [client.clientSecret, refreshToken, sentToken()]);
    });

    it("a token endpoint that refuses: no request sent, the error shown without the secret", async () => {
      const wrongSecret = "wrong-client-secret-for-the-test-4242";
      const siteId = await site(
        "oauth2-client-credentials",
        { tokenUrl: oauth.tokenUrl, contentType: "application/x-www-form-urlencoded", tokenExpiration: 60, clientId: oauth.clients.basic.clientId, clientSecret: wrongSecret },
        `${receiver.url}/oauth`,
      );
      const before = receiver.decisions.length;
      const test = await testConnection(deps(), actor, siteId);
      expect(receiver.decisions.length).toBe(before);
      expect(test.outcome).toMatchObject({ kind: "error", stage: "authorization", error: expect.stringMatching(/token endpoint answered 401 invalid_client/) });
      if (test.outcome.kind === "error") expect(test.outcome.explanation).toMatch(/credentials could not be obtained/);
      expectNoSecrets(test, [wrongSecret]);
    });
  });

  describe("errors an operator understands", () => {
    it("receiver down: connection refused", async () => {
      const siteId = await site("none", {}, `http://127.0.0.1:${await closedPort()}/hooks`);
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "error", stage: "send", error: "connection failed (ECONNREFUSED)" });
      if (test.outcome.kind === "error") expect(test.outcome.explanation).toMatch(/^Connection refused: nothing accepts connections at 127\.0\.0\.1:\d+/);
      expect(test.request).not.toBeNull();
      expect((await listSiteAuditEvents(database.db, siteId))[0]).toMatchObject({ action: "site.tested", details: { failed: "send" } });
    });

    it("a 500 is shown with its body, as a failure a real attempt would retry", async () => {
      plainReply = { status: 500, body: "database on fire" };
      const siteId = await site("none", {}, `${plain.url}/fails`);
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "response", ok: false, status: 500, bodyExcerpt: "database on fire" });
      if (test.outcome.kind === "response") expect(test.outcome.verdict).toMatch(/failed \(500\).*retried/);
    });

    it("a receiver that does not answer: the site's timeout", async () => {
      plainReply = "hang";
      const siteId = await site("none", {}, `${plain.url}/hangs`, { timeoutMs: 1_000 });
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "error", stage: "send", error: "no response within 1000 ms (timeout)" });
      if (test.outcome.kind === "error") expect(test.outcome.explanation).toMatch(/did not answer within the site's timeout \(1000 ms\)/);
      plainReply = { status: 204 };
    });

    it("a receiver certificate this server does not trust: the TLS handshake fails, said so", async () => {
      const siteId = await site("none", {}, tlsUrl);
      const test = await testConnection(deps(), actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "error", stage: "send", error: "connection failed (SELF_SIGNED_CERT_IN_CHAIN)" });
      if (test.outcome.kind === "error") expect(test.outcome.explanation).toMatch(/^The TLS \(https\) handshake with 127\.0\.0\.1:\d+ failed: the receiver's TLS certificate chain ends in a self-signed certificate/);
    });

    it("a private address not allowed: refused, naming ALLOW_PRIVATE_TARGETS", async () => {
      const siteId = await site("none", {}, `${plain.url}/private`);
      const test = await testConnection({ ...deps(), fetch: createGuardedFetch({ allow: "" }) }, actor, siteId);
      expect(test.outcome).toMatchObject({ kind: "error", stage: "send" });
      if (test.outcome.kind === "error") expect(test.outcome.explanation).toMatch(/ALLOW_PRIVATE_TARGETS/);
    });
  });

  describe("client certificate and secret extra headers", () => {
    it("presents the site's client certificate (its mutual-TLS pool), shows the answer's headers, and never the secret header's value", async () => {
      const secretValue = "secret-extra-header-value-5150";
      const siteId = await site("none", {}, tlsUrl, {
        clientCertificate: { certificate: pki.client.certificate, privateKey: pki.client.key, ca: pki.ca.certificate },
        headers: [
          { name: "X-Tenant", value: "tenant-1" },
          { name: "X-Api-Secret", value: secretValue, secret: true },
        ],
      });
      const test = await testConnection(deps(), actor, siteId);
      expect(tlsSeen.at(-1)).toMatchObject({ authorized: true, subject: "loyalty-sender", secret: secretValue });
      expect(test.outcome).toMatchObject({ kind: "response", ok: true, status: 200, bodyExcerpt: "hello" });
      if (test.outcome.kind === "response") expect(test.outcome.headers).toContainEqual(["x-receiver", "mtls"]);
      expect(test.request!.headers["x-api-secret"]).toBe("[redacted]");
      expectNoSecrets(test, [secretValue, pki.client.key]);
    });
  });

  describe("pacing of an active site", () => {
    it("takes one start under the site's rps and one of its threads, and gives the thread back", async () => {
      plainReply = { status: 204 };
      const siteId = await site("none", {}, `${plain.url}/active`, { rps: 2, threads: 1 });
      await setSiteStatus(database.db, actor, siteId, { status: "active" });
      const test = await testConnection(deps(), actor, siteId);
      expect(test.pacing).toMatch(/one of the site's 1 thread\(s\) and one start under its 2 requests per second/);
      const [pacing] = await database.sql<{ ahead_ms: number }[]>`
        select extract(epoch from theoretical_arrival_at - clock_timestamp())::float8 * 1000 as ahead_ms from site_pacing where site_id = ${siteId}`;
      // One start booked: the next one is at most one interval (510 ms at 2 rps) ahead.
      expect(pacing!.ahead_ms).toBeLessThanOrEqual(510);
      expect(await database.sql`select count(*)::int as n from site_leases where site_id = ${siteId} and expires_at > clock_timestamp()`).toEqual([{ n: 0 }]);
    });

    it("refuses (409) while every thread of the site is busy", async () => {
      const siteId = await site("none", {}, `${plain.url}/busy`, { threads: 1 });
      await setSiteStatus(database.db, actor, siteId, { status: "active" });
      // Activation made the site's one slot: another send holds it.
      await database.sql`update site_leases set message_id = ${randomUUID()}, expires_at = now() + interval '1 minute' where site_id = ${siteId} and slot = 0`;
      const before = plain.arrivals.length;
      await expect(testConnection(deps(), actor, siteId)).rejects.toThrow(ConflictError);
      expect(plain.arrivals.length).toBe(before);
    });
  });
});

describe("Test token endpoint", () => {
  const tokenDeps = () => ({ db: database.db, box, fetch: createGuardedFetch({ allow: "127.0.0.1" }) });
  const clientCredentials = (overrides: Record<string, unknown> = {}) => ({
    tokenUrl: oauth.tokenUrl,
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: "60",
    clientId: oauth.clients.basic.clientId,
    clientSecret: oauth.clients.basic.clientSecret,
    scope: "api:read",
    ...overrides,
  });

  it("fetches a token with the form's values and shows the response redacted, caching nothing", async () => {
    oauth.resetTokenRequests();
    const answer = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials() });
    expect(answer).toMatchObject({ ok: true, tokenResponse: { status: 200, body: { access_token: "[redacted]", token_type: "Bearer", expires_in: 600, scope: "api:read" } } });
    expect(oauth.tokenRequests()).toBe(1);
    expectNoSecrets(answer, [oauth.clients.basic.clientSecret]);
  });

  it("JWT with private key (client assertion)", async () => {
    const client = oauth.clients.privateKeyEs256;
    const answer = await testTokenEndpoint(tokenDeps(), {
      authMethod: "oauth2-jwt-private-key",
      authParams: { tokenUrl: oauth.tokenUrl, mode: "client-assertion", contentType: "application/x-www-form-urlencoded", tokenExpiration: "60", clientId: client.clientId, signAlgorithm: "ES256", privateKey: client.privateKeyPem, keyId: client.keyId },
    });
    expect(answer).toMatchObject({ ok: true, tokenResponse: { status: 200, body: { access_token: "[redacted]" } } });
    expectNoSecrets(answer, [client.privateKeyPem]);
  });

  it("with a site's id, a blank secret is the stored one; the site's cached token is left alone", async () => {
    const siteId = await site("oauth2-client-credentials", clientCredentials(), `${plain.url}/cc`);
    const [before] = await database.sql`select auth_params from trusted_sites where id = ${siteId}`;
    const answer = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials({ clientSecret: "" }), siteId });
    expect(answer.ok).toBe(true);
    const [after] = await database.sql`select auth_params from trusted_sites where id = ${siteId}`;
    expect(after).toEqual(before);
  });

  it("a refused secret: the provider's error, the secret nowhere", async () => {
    const wrong = "not-the-client-secret-7777";
    const answer = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials({ clientSecret: wrong }) });
    expect(answer).toMatchObject({ ok: false, error: expect.stringMatching(/401 invalid_client/), tokenResponse: { status: 401, body: { error: "invalid_client" } } });
    expectNoSecrets(answer, [wrong]);
  });

  it("a token endpoint that is down", async () => {
    const answer = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials({ tokenUrl: `http://127.0.0.1:${await closedPort()}/token` }) });
    expect(answer).toMatchObject({ ok: false, tokenResponse: null, error: expect.stringMatching(/could not be reached \(ECONNREFUSED\)/) });
  });

  it("422 naming the field for invalid values or a method without a token endpoint", async () => {
    const invalid = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials({ tokenUrl: "not a url" }) }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).issues!.map((i) => i.path.join("."))).toContain("authParams.tokenUrl");
    const basic = await testTokenEndpoint(tokenDeps(), { authMethod: "basic", authParams: {} }).catch((e: unknown) => e);
    expect((basic as ValidationError).issues!.map((i) => i.path.join("."))).toEqual(["authMethod"]);
  });

  it("a private token URL is refused as when saving", async () => {
    vi.stubEnv("ALLOW_PRIVATE_TARGETS", "");
    try {
      const refused = await testTokenEndpoint(tokenDeps(), { authMethod: "oauth2-client-credentials", authParams: clientCredentials() }).catch((e: unknown) => e);
      expect((refused as ValidationError).issues).toEqual([{ path: ["authParams", "tokenUrl"], message: expect.stringMatching(/loopback/) }]);
    } finally {
      vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
    }
  });
});

describe("routes", () => {
  let token: string;
  beforeAll(async () => {
    token = (await createApiToken(database.db, { name: "tests" }, null)).token;
  });
  const auth = () => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

  it("POST /api/trusted-sites/{id}/test with an API token; 404 for an unknown site; 401 without credentials; 422 for any field", async () => {
    plainReply = { status: 200 };
    const siteId = await site("none", {}, `${plain.url}/route`);
    const call = (id: string, headers: Record<string, string> = auth(), body?: string) =>
      postTest(new Request(`http://app.test/api/trusted-sites/${id}/test`, { method: "POST", headers, body }), { params: Promise.resolve({ id }) });
    const ok = await call(siteId);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ siteId, outcome: { kind: "response", status: 200 } });
    expect((await call(siteId, auth(), "{}")).status).toBe(200);
    expect((await call(randomUUID())).status).toBe(404);
    expect((await call(siteId, {})).status).toBe(401);
    const sent = plain.arrivals.length;
    expect((await call(siteId, auth(), JSON.stringify({ status: "active" }))).status).toBe(422);
    expect((await call(siteId, auth(), "{not json")).status).toBe(400);
    expect(plain.arrivals.length).toBe(sent);
  });

  it("POST /api/trusted-sites/test-token-endpoint: 200 with the redacted response, 422 for a bad body", async () => {
    const call = (body: unknown) =>
      postTokenTest(new Request("http://app.test/api/trusted-sites/test-token-endpoint", { method: "POST", headers: auth(), body: JSON.stringify(body) }), {
        params: Promise.resolve({}),
      });
    const ok = await call({ authMethod: "oauth2-client-credentials", authParams: clientCredentialsFor(oauth) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, tokenResponse: { body: { access_token: "[redacted]" } } });
    const bad = await call({ authMethod: "oauth2-client-credentials", authParams: { ...clientCredentialsFor(oauth), clientId: "" } });
    expect(bad.status).toBe(422);
    expect((await bad.json()).issues).toContainEqual({ path: ["authParams", "clientId"], message: expect.any(String) });
  });
});

function clientCredentialsFor(server: OAuthTestServer) {
  return {
    tokenUrl: server.tokenUrl,
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: "60",
    clientId: server.clients.basic.clientId,
    clientSecret: server.clients.basic.clientSecret,
  };
}

