import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { ConflictError, ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { disableSigning, enableSigning, rotateSigningSecret } from "@/lib/signing-secrets/manage-signing-secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, waitFor } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type Arrival, type WebhookReceiver } from "../../helpers/webhook-receiver";

/**
 * Standard Webhooks signatures (issue 15) through the real delivery core to a receiver on loopback
 * that verifies them with the `standardwebhooks` package, as a receiver would.
 */

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
const HOUR = 3_600_000;
let database: TestDatabase;
let receiver: WebhookReceiver;
let worker: LocalWorker;
let customerId: string;
/** The secret the receiver verifies with; it answers 204 when the signature verifies, else 400. */
let receiverSecret: string | null = null;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  database = await createTestDatabase();
  receiver = await startWebhookReceiver((arrival) => ({ status: receiverSecret && verifies(receiverSecret, arrival) ? 204 : 400 }));
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 60_000, purgeEveryMs: 0 });
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop(5_000);
  await receiver?.close();
  await database?.drop();
});

function verifies(secret: string, arrival: Pick<Arrival, "body" | "headers">): boolean {
  try {
    // jsonParse: false, or a verified form body would throw when the package parses it as JSON.
    new Webhook(secret).verify(arrival.body, arrival.headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

async function activeSite(options: { bodyEncoding?: "json" | "form" } = {}) {
  const form = options.bodyEncoding === "form";
  const site = await createSite(database.db, box, actor, {
    name: `Signed ${randomBytes(4).toString("hex")}`,
    url: `${receiver.url}/hooks`,
    authMethod: "none",
    bodyEncoding: options.bodyEncoding ?? "json",
    contentType: form ? "application/x-www-form-urlencoded" : "application/json",
  });
  await setSiteStatus(database.db, actor, site.id, { status: "active" });
  return site.id;
}

/** Sends one message and returns what the receiver got and how its first attempt ended ("done", or "resent" when refused). */
async function deliver(siteId: string, payload: unknown = { points: 120, note: "a b&c ü" }) {
  const message = await enqueue(database.db, { siteId, customerId, action: "point_add", payload });
  const attempts = await waitFor(async () => {
    const rows = await attemptRows(database.db, message.id);
    return rows[0]?.status === "queued" ? null : rows;
  });
  // A refused message waits for its retry (a minute away): stop it here.
  await database.sql`update webhook_messages set status = 'failed' where id = ${message.id} and status <> 'done'`;
  const arrival = receiver.arrivals.findLast((a) => a.headers["webhook-id"] === message.id)!;
  return { arrival, status: attempts[0]!.status, attempts };
}

describe("signed payloads (Standard Webhooks)", () => {
  it("a site without a secret sends no signature; enabling signs every request so the receiver verifies it", async () => {
    const siteId = await activeSite();
    const unsigned = await deliver(siteId);
    expect(unsigned.arrival.headers["webhook-signature"]).toBeUndefined();

    const { secret, secrets } = await enableSigning(database.db, box, actor, siteId);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(secrets).toEqual([expect.objectContaining({ prefix: secret.slice(0, 10), activeUntil: null })]);
    receiverSecret = secret;

    const signed = await deliver(siteId);
    expect(signed.status).toBe("done");
    expect(signed.arrival.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifies(secret, signed.arrival)).toBe(true);
    // The Logs name the header but not its value (it would let a reader replay the message), nor the secret.
    expect(signed.attempts[0]!.request!.headers["webhook-signature"]).toBe("[redacted]");
    expect(JSON.stringify(await database.sql`select signing_secrets from trusted_sites where id = ${siteId}`)).not.toContain(secret.slice(6));
  });

  it("signs the exact bytes of a URL-encoded body, and a tampered body does not verify", async () => {
    const siteId = await activeSite({ bodyEncoding: "form" });
    const { secret } = await enableSigning(database.db, box, actor, siteId);
    receiverSecret = secret;
    const { arrival, status } = await deliver(siteId, { points: 5, tags: ["gold", "x y"] });
    expect(status).toBe("done");
    expect(arrival.body).toContain("data%5Btags%5D%5B1%5D=x+y");
    expect(verifies(secret, arrival)).toBe(true);
    expect(verifies(secret, { ...arrival, body: arrival.body.replace("points%5D=5", "points%5D=500") })).toBe(false);
    expect(verifies(secret, { ...arrival, headers: { ...arrival.headers, "webhook-id": "another-message" } })).toBe(false);
  });

  it("during a rotation's overlap both secrets sign and each alone verifies; after it only the new one", async () => {
    const siteId = await activeSite();
    const { secret: old } = await enableSigning(database.db, box, actor, siteId);
    const before = Date.now();
    const { secret: fresh, secrets } = await rotateSigningSecret(database.db, box, actor, siteId, {});
    expect(fresh).not.toBe(old);
    expect(secrets.map((s) => s.prefix)).toEqual([fresh.slice(0, 10), old.slice(0, 10)]);
    expect(secrets[0]!.activeUntil).toBeNull();
    // The default overlap: 24 hours.
    expect(Date.parse(secrets[1]!.activeUntil!) - before).toBeGreaterThanOrEqual(24 * HOUR);
    expect(Date.parse(secrets[1]!.activeUntil!) - before).toBeLessThan(24 * HOUR + 60_000);

    // A receiver still on the old secret and one already on the new secret both accept.
    receiverSecret = old;
    const during = await deliver(siteId);
    expect(during.status).toBe("done");
    expect(during.arrival.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifies(old, during.arrival)).toBe(true);
    expect(verifies(fresh, during.arrival)).toBe(true);
    expect(verifies(old, { ...during.arrival, body: during.arrival.body.replace("120", "121") })).toBe(false);
    expect(verifies(fresh, { ...during.arrival, body: during.arrival.body.replace("120", "121") })).toBe(false);

    // The same rotation made 25 hours ago: its overlap has ended, the old secret no longer signs.
    const { secret: newest } = await rotateSigningSecret(database.db, box, actor, siteId, {}, new Date(Date.now() - 25 * HOUR));
    const view = toSiteView(await getSiteOrThrow(database.db, siteId));
    expect(view.signingSecrets.map((s) => s.prefix)).toEqual([newest.slice(0, 10)]);
    const after = await deliver(siteId);
    expect(after.status).toBe("resent"); // the receiver still verifies with `old`: 400
    expect(after.arrival.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifies(old, after.arrival)).toBe(false);
    expect(verifies(fresh, after.arrival)).toBe(false);
    expect(verifies(newest, after.arrival)).toBe(true);
  });

  it("rotating with no overlap stops the old secret at once; disabling stops signing; each change is audited", async () => {
    const siteId = await activeSite();
    await expect(rotateSigningSecret(database.db, box, actor, siteId, {})).rejects.toBeInstanceOf(ConflictError);
    const { secret: old } = await enableSigning(database.db, box, actor, siteId);
    await expect(enableSigning(database.db, box, actor, siteId)).rejects.toBeInstanceOf(ConflictError);
    const refused = await rotateSigningSecret(database.db, box, actor, siteId, { overlapHours: 200 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([expect.objectContaining({ path: ["overlapHours"] })]);

    const { secret: fresh, secrets } = await rotateSigningSecret(database.db, box, actor, siteId, { overlapHours: 0 });
    expect(secrets).toHaveLength(1);
    receiverSecret = fresh;
    const { arrival } = await deliver(siteId);
    expect(verifies(fresh, arrival)).toBe(true);
    expect(verifies(old, arrival)).toBe(false);

    await disableSigning(database.db, actor, siteId);
    receiverSecret = null;
    const unsigned = await deliver(siteId);
    expect(unsigned.arrival.headers["webhook-signature"]).toBeUndefined();

    const trail = await listSiteAuditEvents(database.db, siteId);
    expect(trail.map((e) => e.action).slice(0, 3)).toEqual(["site.signing_disabled", "site.signing_rotated", "site.signing_enabled"]);
    expect(JSON.stringify(trail)).not.toContain(fresh.slice(10));
    expect(JSON.stringify(trail)).not.toContain(old.slice(10));
  });
});
