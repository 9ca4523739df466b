import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getLogs } from "@/app/api/webhooks/logs/route";
import { GET as getMessageRoute } from "@/app/api/webhooks/messages/[id]/route";
import { POST as postMessage } from "@/app/api/webhooks/messages/route";
import { GET as getQueue } from "@/app/api/webhooks/queue/route";
import { customers, webhookMessages } from "@/lib/db/schema";
import { recordOutcome } from "@/lib/delivery/record-outcome";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";

let database: RouteTestDatabase;
let token: string;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("workflow engine");
  token = database.token;
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
});
afterAll(() => database?.drop());

const noParams = { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> };
const headers = () => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
const post = (body: unknown, auth = true) =>
  postMessage(
    new Request("http://app.test/api/webhooks/messages", {
      method: "POST",
      headers: auth ? headers() : { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    noParams,
  );
const get = (route: typeof getLogs, path: string) => route(new Request(`http://app.test${path}`, { headers: headers() }), noParams);

describe("POST /api/webhooks/messages", () => {
  it("queues a message: 202 {id, status}; a repeated idempotency key: 200 with the same id", async () => {
    const body = { siteId, customerId, action: "order.paid", payload: { total: 5 }, idempotencyKey: "k-1" };
    const res = await post(body);
    expect(res.status).toBe(202);
    const first = await res.json();
    expect(first).toEqual({ id: expect.any(String), status: "queued" });
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(first);
  });

  it("401 without a token, 404 unknown site, 409 inactive site, 422 bad body, 400 not JSON", async () => {
    expect((await post({ siteId, customerId, action: "a", payload: {} }, false)).status).toBe(401);
    expect((await post({ siteId: randomUUID(), customerId, action: "a", payload: {} })).status).toBe(404);
    const inactive = await insertSite(database.db, { url: "https://x.example/", status: "inactive" });
    expect((await post({ siteId: inactive, customerId, action: "a", payload: {} })).status).toBe(409);
    const invalid = await post({ siteId, action: "", payload: {} });
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(
      expect.arrayContaining(["action", "customerId"]),
    );
    const unknownCustomer = await post({ siteId, customerId: randomUUID(), action: "a", payload: {} });
    expect(unknownCustomer.status).toBe(422);
    expect(await unknownCustomer.json()).toMatchObject({ issues: [{ path: ["customerId"] }] });
    expect((await post("{not json")).status).toBe(400);
  });

  it("accepts the platform's customer id (customerExternalId) instead of ours: exactly one of the two, an unknown one is 422", async () => {
    const externalId = `crm-${randomUUID()}`;
    const [customer] = await database.db.insert(customers).values({ name: "Grace", externalId }).returning({ id: customers.id });
    const res = await post({ siteId, customerExternalId: externalId, action: "order.paid", payload: { total: 9 } });
    expect(res.status).toBe(202);
    const { id } = await res.json();
    const [message] = await database.db.select().from(webhookMessages).where(eq(webhookMessages.id, id));
    expect(message!.customerId).toBe(customer!.id);

    const issues = async (body: Record<string, unknown>) => {
      const answer = await post({ siteId, action: "order.paid", payload: {}, ...body });
      expect(answer.status).toBe(422);
      return (await answer.json()).issues;
    };
    expect(await issues({ customerExternalId: `crm-${randomUUID()}` })).toEqual([{ path: ["customerExternalId"], message: "No such customer" }]);
    expect(await issues({ customerId, customerExternalId: externalId })).toEqual([
      { path: ["customerExternalId"], message: "Give customerId or customerExternalId, not both" },
    ]);
    expect(await issues({})).toEqual([{ path: ["customerId"], message: expect.stringContaining("customerExternalId") }]);
    expect((await issues({ customerExternalId: 42 }))[0].path).toEqual(["customerExternalId"]);
    expect((await issues({ customerExternalId: " " }))[0].path).toEqual(["customerExternalId"]);
  });
});

describe("reading messages, the queue and the logs", () => {
  it("GET /api/webhooks/messages/{id}: the message with its attempts; 404 otherwise", async () => {
    const { id } = await (await post({ siteId, customerId, action: "order.shipped", payload: { n: 1 } })).json();
    const res = await getMessageRoute(new Request(`http://app.test/api/webhooks/messages/${id}`, { headers: headers() }), {
      params: Promise.resolve({ id }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id,
      status: "queued",
      action: "order.shipped",
      payload: { n: 1 },
      siteId,
      customerId,
      customerName: "Ada Lovelace",
      attemptLog: [{ attemptNo: 1, status: "queued", messageId: id }],
    });
    const missing = await getMessageRoute(new Request("http://app.test/api/webhooks/messages/x", { headers: headers() }), {
      params: Promise.resolve({ id: randomUUID() }),
    });
    expect(missing.status).toBe(404);
  });

  it("GET /api/webhooks/queue lists messages in flight, not finished ones", async () => {
    const { id: done } = await (await post({ siteId, customerId, action: "finished", payload: {} })).json();
    const claimed = await claimMessage(database.db, done, randomUUID(), 10_000);
    await recordOutcome(database.db, claimed!, { succeeded: true, responseCode: 200 }, { retryInMs: 0 });
    const { items } = await (await get(getQueue, "/api/webhooks/queue?limit=200")).json();
    const ids = items.map((m: { id: string }) => m.id);
    expect(ids).not.toContain(done);
    expect(items.length).toBeGreaterThan(0);
    expect(items[0]).toMatchObject({ status: "queued", attempts: 0, siteId, customerId });
  });

  it("GET /api/webhooks/logs: newest first, filtered, keyset pages that neither skip nor repeat", async () => {
    const otherSite = await insertSite(database.db, { url: "https://other.example/" });
    for (let i = 0; i < 7; i++) await post({ siteId: otherSite, customerId, action: "paged", payload: { i } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(getLogs, `/api/webhooks/logs?siteId=${otherSite}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body: { items: { id: number; siteId: string; createdAt: string }[]; nextCursor: string | null } = await res.json();
      expect(body.items.length).toBeLessThanOrEqual(3);
      for (const item of body.items) expect(item.siteId).toBe(otherSite);
      seen.push(...body.items.map((i) => `${i.createdAt}#${i.id}`));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const sorted = [...seen].sort().reverse();
    expect(seen).toEqual(sorted);
    const byStatus = await (await get(getLogs, "/api/webhooks/logs?status=done")).json();
    expect(byStatus.items.every((i: { status: string }) => i.status === "done")).toBe(true);
    expect((await get(getLogs, "/api/webhooks/logs?limit=0")).status).toBe(422);
    expect((await get(getLogs, "/api/webhooks/logs?cursor=bogus")).status).toBe(422);
  });
});
