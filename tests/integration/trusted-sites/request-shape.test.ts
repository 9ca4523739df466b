import { randomBytes } from "node:crypto";
import { parse as parseForm } from "qs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local-worker";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, waitUntilFinished } from "../../helpers/delivery-fixtures";
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
});
