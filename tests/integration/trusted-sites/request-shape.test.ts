import { randomBytes } from "node:crypto";
import { parse as parseForm } from "qs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { eq } from "drizzle-orm";
import { trustedSites } from "@/lib/db/schema";
import { attemptRows, insertCustomer, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let receiver: WebhookReceiver;
let worker: LocalWorker;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  database = await createTestDatabase();
  receiver = await startWebhookReceiver(() => ({ status: 200 }));
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 150, purgeEveryMs: 0 });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop(5_000);
  await receiver?.close();
  await database?.drop();
});

async function issuesOf(save: Promise<unknown>) {
  const error = await save.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues!.map((i) => i.path.join("."));
}

describe("a site's HTTP method, body encoding and extra headers", () => {
  it("sends PUT with a URL-encoded envelope and the extra headers, and audits an edit of them", async () => {
    const site = await createSite(database.db, box, actor, {
      name: "Form receiver",
      url: receiver.url,
      authMethod: "none",
      httpMethod: "PUT",
      bodyEncoding: "form",
      contentType: "application/x-www-form-urlencoded",
      headers: [{ name: "X-Tenant", value: "acme" }],
    });
    expect(site).toMatchObject({ httpMethod: "PUT", bodyEncoding: "form", headers: [{ name: "X-Tenant", value: "acme" }] });
    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    const customerId = await insertCustomer(database.db);
    const message = await enqueue(database.db, { siteId: site.id, customerId, action: "point_add", payload: { points: 5, note: "a b&c" } });
    await waitUntilFinished(database.db, message.id);

    const arrival = receiver.arrivals.at(-1)!;
    expect(arrival.method).toBe("PUT");
    expect(arrival.headers["x-tenant"]).toBe("acme");
    expect(arrival.body).toContain("note%5D=a+b%26c");
    expect(parseForm(arrival.body)).toMatchObject({ type: "point_add", customerId, data: { points: "5", note: "a b&c" } });

    await updateSite(database.db, box, actor, site.id, { headers: [{ name: "X-Tenant", value: "globex" }], httpMethod: "POST" });
    const [updated] = (await listSiteAuditEvents(database.db, site.id)).filter((e) => e.action === "site.updated");
    expect((updated!.details as { changed: string[] }).changed.sort()).toEqual(["headers", "httpMethod"]);
  });

  it("refuses reserved or injected headers, duplicates and unknown methods with the field at fault", async () => {
    const paths = await issuesOf(
      createSite(database.db, box, actor, {
        name: "Bad headers",
        url: receiver.url,
        authMethod: "none",
        httpMethod: "PATCH",
        bodyEncoding: "xml",
        headers: [{ name: "Webhook-Id", value: "x" }, { name: "X-A", value: "1\nX-B: 2" }, { name: "x-c", value: "" }, { name: "X-C", value: "" }, { name: "bad name", value: "" }],
      }),
    );
    expect(paths.sort()).toEqual(["bodyEncoding", "headers.0.name", "headers.1.value", "headers.3.name", "headers.4.name", "httpMethod"].sort());
  });

  it("stores a secret header's value encrypted, sends it, never serves it, keeps it when an edit leaves it blank", async () => {
    const apiKey = "key-9f8e7d6c5b4a";
    const blank = await issuesOf(
      createSite(database.db, box, actor, { name: "Secret header, no value", url: receiver.url, authMethod: "none", headers: [{ name: "X-Api-Key", value: "", secret: true }] }),
    );
    expect(blank).toEqual(["headers.0.value"]);

    const site = await createSite(database.db, box, actor, {
      name: "Secret header receiver",
      url: receiver.url,
      authMethod: "none",
      headers: [{ name: "X-Tenant", value: "acme" }, { name: "X-Api-Key", value: apiKey, secret: true }],
    });
    expect(site.headers).toEqual([{ name: "X-Tenant", value: "acme", secret: false }, { name: "X-Api-Key", value: "", secret: true }]);
    const [row] = await database.db.select().from(trustedSites).where(eq(trustedSites.id, site.id));
    expect(JSON.stringify(row!.headers)).not.toContain(apiKey);

    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    const customerId = await insertCustomer(database.db);
    const send = async () => {
      const message = await enqueue(database.db, { siteId: site.id, customerId, action: "point_add", payload: {} });
      await waitUntilFinished(database.db, message.id);
      return { arrival: receiver.arrivals.at(-1)!, attempts: await attemptRows(database.db, message.id) };
    };
    const first = await send();
    expect(first.arrival.headers).toMatchObject({ "x-api-key": apiKey, "x-tenant": "acme" });
    expect(JSON.stringify(first.attempts)).not.toContain(apiKey);

    // The edit form sends the secret back blank: the stored value is kept, and no change is audited.
    const auditedBefore = (await listSiteAuditEvents(database.db, site.id)).filter((e) => e.action === "site.updated").length;
    await updateSite(database.db, box, actor, site.id, { headers: site.headers, name: "Secret header receiver" });
    expect((await listSiteAuditEvents(database.db, site.id)).filter((e) => e.action === "site.updated")).toHaveLength(auditedBefore);
    await updateSite(database.db, box, actor, site.id, { rps: 7 });
    expect((await send()).arrival.headers["x-api-key"]).toBe(apiKey);

    // A new value replaces it (audited as a header change); a renamed secret header needs its value again.
    await updateSite(database.db, box, actor, site.id, { headers: [{ name: "X-Api-Key", value: "key-rotated", secret: true }] });
    expect((await send()).arrival.headers["x-api-key"]).toBe("key-rotated");
    const [changed] = (await listSiteAuditEvents(database.db, site.id)).filter((e) => e.action === "site.updated");
    expect((changed!.details as { changed: string[] }).changed).toEqual(["headers"]);
    expect(await issuesOf(updateSite(database.db, box, actor, site.id, { headers: [{ name: "X-Key", value: "", secret: true }] }))).toEqual(["headers.0.value"]);
  });
});
