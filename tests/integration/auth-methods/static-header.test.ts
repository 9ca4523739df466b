import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
const API_KEY = "sk_live_51Hx9 api key";
let database: TestDatabase;
let receiver: WebhookReceiver;
let worker: LocalWorker;

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  database = await createTestDatabase();
  // The receiver accepts only the right key, as an API-key gateway does.
  receiver = await startWebhookReceiver((request) => ({ status: request.headers["x-api-key"] === API_KEY ? 200 : 401 }));
  worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 100, purgeEveryMs: 0 });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop(5_000);
  await receiver?.close();
  await database?.drop();
});

describe("static header: one secret header on every request", () => {
  it("is accepted by a receiver checking the key, wins over an extra header of the same name, and stays secret", async () => {
    const site = await createSite(database.db, box, actor, {
      name: "API-key receiver",
      url: receiver.url,
      authMethod: "static-header",
      authParams: { headerName: "X-Api-Key", headerValue: API_KEY },
      headers: [{ name: "x-api-key", value: "not the key" }, { name: "X-Tenant", value: "acme" }],
    });
    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    const customerId = await insertCustomer(database.db);
    const message = await enqueue(database.db, { siteId: site.id, customerId, action: "point_add", payload: { points: 5 } });
    expect((await waitUntilFinished(database.db, message.id)).status).toBe("done");

    // Node joins repeated headers with ", ": one exact value means the extra header was replaced.
    const arrival = receiver.arrivals.at(-1)!;
    expect(arrival.headers["x-api-key"]).toBe(API_KEY);
    expect(arrival.headers["x-tenant"]).toBe("acme");

    // Neither the site as the API serves it nor the Logs' record of the request carries the key.
    const stored = await getSiteOrThrow(database.db, site.id);
    expect(JSON.stringify(stored.authParams)).not.toContain(API_KEY);
    const view = toSiteView(stored);
    expect(JSON.stringify(view)).not.toContain(API_KEY);
    expect(view).toMatchObject({ authParams: { headerName: "X-Api-Key" }, secretsSet: { headerValue: true } });
    const [attempt] = await attemptRows(database.db, message.id);
    expect(JSON.stringify(attempt!.request)).not.toContain(API_KEY);
    expect((attempt!.request as { headers: Record<string, string> }).headers["x-api-key"]).toBe("[redacted]");
  });

  it("keeps the stored value when an edit leaves it blank, and a wrong value is refused by the receiver", async () => {
    const site = await createSite(database.db, box, actor, {
      name: "API-key receiver 2",
      url: receiver.url,
      authMethod: "static-header",
      authParams: { headerName: "X-Api-Key", headerValue: "wrong key" },
    });
    await setSiteStatus(database.db, actor, site.id, { status: "active" });
    const customerId = await insertCustomer(database.db);
    const refused = await enqueue(database.db, { siteId: site.id, customerId, action: "point_add", payload: {} });
    const [first] = await (async () => {
      await waitUntilFinishedOrRetried(refused.id);
      return attemptRows(database.db, refused.id);
    })();
    expect(first!.responseCode).toBe(401);

    await updateSite(database.db, box, actor, site.id, { authMethod: "static-header", authParams: { headerName: "X-Api-Key", headerValue: API_KEY } });
    await updateSite(database.db, box, actor, site.id, { authMethod: "static-header", authParams: { headerName: "X-Api-Key", headerValue: "" } });
    const accepted = await enqueue(database.db, { siteId: site.id, customerId, action: "point_add", payload: {} });
    expect((await waitUntilFinished(database.db, accepted.id)).status).toBe("done");
  });
});

async function waitUntilFinishedOrRetried(messageId: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const rows = await attemptRows(database.db, messageId);
    if (rows[0]?.finishedAt) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the first attempt did not finish");
}
