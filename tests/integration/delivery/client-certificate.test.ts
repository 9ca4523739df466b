import { randomBytes } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, waitFor } from "../../helpers/delivery-fixtures";
import { makeTestPki, type TestPki } from "../../helpers/tls-certificates";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let pki: TestPki;
let database: TestDatabase;
let worker: LocalWorker;
let receiver: https.Server;
let url: string;
const seen: { authorized: boolean; subject: string | null }[] = [];

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  pki = makeTestPki();
  database = await createTestDatabase();
  // A receiver that asks for a client certificate and answers 403 without one its CA signed.
  receiver = https.createServer({ key: pki.server.key, cert: pki.server.certificate, ca: pki.ca.certificate, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    seen.push({ authorized: socket.authorized, subject: peer?.subject?.CN ? String(peer.subject.CN) : null });
    req.resume();
    req.on("end", () => res.writeHead(socket.authorized ? 200 : 403).end(socket.authorized ? "hello" : "client certificate required"));
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 100, purgeEveryMs: 0 });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop(5_000);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await database?.drop();
});

let n = 0;
async function siteWith(clientCertificate: unknown, siteUrl = url) {
  n += 1;
  return createSite(database.db, box, actor, { name: `mTLS receiver ${n}`, url: siteUrl, authMethod: "none", clientCertificate });
}

async function issuesOf(save: Promise<unknown>) {
  const error = await save.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues!.map((i) => `${i.path.join(".")}: ${i.message}`);
}

async function firstAttempt(siteId: string) {
  await setSiteStatus(database.db, actor, siteId, { status: "active" });
  const customerId = await insertCustomer(database.db);
  const message = await enqueue(database.db, { siteId, customerId, action: "point_add", payload: { points: 1 } });
  return waitFor(async () => (await attemptRows(database.db, message.id)).find((a) => a.finishedAt), 10_000, "the first attempt");
}

describe("client certificate (mutual TLS)", () => {
  it("is presented to a receiver that requires it, which refuses a request without one", async () => {
    const withoutCertificate = await new Promise<number>((resolve, reject) => {
      https.request(url, { method: "POST", ca: pki.ca.certificate }, (res) => resolve(res.statusCode!)).on("error", reject).end("{}");
    });
    expect(withoutCertificate).toBe(403);

    const site = await siteWith({ certificate: pki.client.certificate, privateKey: pki.client.key, ca: pki.ca.certificate });
    expect(site.clientCertificate).toMatchObject({ subject: "CN=loyalty-sender", issuer: "CN=Test CA", privateKeySet: true });
    expect(JSON.stringify(site)).not.toContain(pki.client.key.split("\n")[1]);
    const [row] = await database.db.select().from(trustedSites).where(eq(trustedSites.id, site.id));
    expect(JSON.stringify(row!.clientCertificate)).not.toContain(pki.client.key.split("\n")[1]);

    const attempt = await firstAttempt(site.id);
    expect(attempt).toMatchObject({ status: "done", responseCode: 200 });
    expect(seen.at(-1)).toEqual({ authorized: true, subject: "loyalty-sender" });
  });

  it("a certificate the receiver's CA did not sign is refused by the receiver", async () => {
    const site = await siteWith({ certificate: pki.strangerClient.certificate, privateKey: pki.strangerClient.key, ca: pki.ca.certificate });
    const attempt = await firstAttempt(site.id);
    expect(attempt).toMatchObject({ status: "resent", responseCode: 403 });
  });

  it("without the receiver's CA, its certificate is not trusted: the handshake fails and no request is sent", async () => {
    const site = await siteWith({ certificate: pki.client.certificate, privateKey: pki.client.key, ca: "" });
    const attempt = await firstAttempt(site.id);
    expect(attempt.status).toBe("resent");
    expect(attempt.responseCode).toBeNull();
    expect(attempt.error).toMatch(/^connection failed \(SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it("is checked on save: PEM, key of the certificate, not expired, https only", async () => {
    expect(await issuesOf(siteWith({ certificate: pki.expiredClient.certificate, privateKey: pki.expiredClient.key }))).toEqual([
      expect.stringMatching(/^clientCertificate\.certificate: The certificate expired on /),
    ]);
    expect(await issuesOf(siteWith({ certificate: pki.client.certificate, privateKey: pki.strangerClient.key }))).toEqual([
      "clientCertificate.privateKey: This private key does not belong to the certificate",
    ]);
    expect(await issuesOf(siteWith({ certificate: "not a certificate", privateKey: "nor a key", ca: "nor a CA" }))).toEqual([
      "clientCertificate.certificate: Certificate must be a PEM certificate (-----BEGIN CERTIFICATE-----)",
      "clientCertificate.privateKey: Private key must be an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)",
      "clientCertificate.ca: CA certificates must be PEM certificates (-----BEGIN CERTIFICATE-----)",
    ]);
    expect(await issuesOf(siteWith({ certificate: pki.client.certificate }))).toEqual(["clientCertificate.privateKey: Private key is required"]);
    expect(await issuesOf(siteWith({ certificate: pki.client.certificate, privateKey: pki.client.key }, "http://127.0.0.1:9/hooks"))).toEqual([
      "clientCertificate.certificate: A client certificate is only sent over TLS: the URL must start with https://",
    ]);
  });

  it("keeps the stored key when an edit leaves it blank, and refuses a new certificate without its key", async () => {
    const site = await siteWith({ certificate: pki.client.certificate, privateKey: pki.client.key, ca: pki.ca.certificate });
    await updateSite(database.db, box, actor, site.id, { rps: 5 });
    const kept = await updateSite(database.db, box, actor, site.id, { clientCertificate: { certificate: pki.client.certificate, privateKey: "", ca: pki.ca.certificate } });
    expect(kept.clientCertificate).toMatchObject({ privateKeySet: true, subject: "CN=loyalty-sender" });
    expect(await firstAttempt(site.id)).toMatchObject({ status: "done" });

    expect(await issuesOf(updateSite(database.db, box, actor, site.id, { clientCertificate: { certificate: pki.strangerClient.certificate, privateKey: "" } }))).toEqual([
      "clientCertificate.privateKey: The stored private key does not belong to this certificate: paste the new certificate's key",
    ]);
    const removed = await updateSite(database.db, box, actor, site.id, { clientCertificate: null });
    expect(removed.clientCertificate).toBeNull();
  });
});
