import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as resendRoute } from "@/app/api/webhooks/messages/[id]/resend/route";
import { GET as countFailedRoute, POST as resendFailedRoute } from "@/app/api/webhooks/resend-failed/route";
import { auditEvents } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { insertCustomer, insertSite } from "../../helpers/delivery-fixtures";
import { deliver, failAllAttempts } from "../../helpers/finish-message";

let database: RouteTestDatabase;
let token: string;
let customerId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("ops script");
  token = database.token;
  customerId = await insertCustomer(database.db);
});
afterAll(() => database?.drop());

const noParams = { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> };
const request = (path: string, init: RequestInit = {}) =>
  new Request(`http://app.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
const resend = (id: string) => resendRoute(request(`/api/webhooks/messages/${id}/resend`, { method: "POST" }), { params: Promise.resolve({ id }) });

describe("POST /api/webhooks/messages/{id}/resend", () => {
  it("202 with the new message; 409 in flight or site inactive; 404 unknown", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 1 } });
    const inFlight = await resend(id);
    expect(inFlight.status).toBe(409);
    expect(await inFlight.json()).toMatchObject({ code: "conflict", error: expect.stringMatching(/still being delivered/) });

    await deliver(database.db, id);
    const res = await resend(id);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: expect.any(String), status: "queued", resentFromMessageId: id });
    const [event] = await database.db.select().from(auditEvents);
    expect(event).toMatchObject({ action: "messages.resent", actor: 'API token "ops script"' });

    const inactive = await insertSite(database.db, { url: "https://receiver.example/", status: "inactive" });
    const { id: other } = await enqueue(database.db, { siteId, customerId, action: "a", payload: {} });
    await deliver(database.db, other);
    await database.sql`update webhook_messages set site_id = ${inactive} where id = ${other}`;
    const refused = await resend(other);
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toMatch(/inactive/);
    expect((await resend(randomUUID())).status).toBe(404);
  });
});

describe("/api/webhooks/resend-failed", () => {
  it("GET counts, POST resends (202), a filter without a site is 422", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/" });
    for (let i = 0; i < 3; i++) {
      const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { i } });
      await failAllAttempts(database.db, id);
    }
    const counted = await countFailedRoute(request(`/api/webhooks/resend-failed?siteId=${siteId}&action=points.earned`), noParams);
    expect(counted.status).toBe(200);
    expect(await counted.json()).toEqual({ count: 3, capped: false, cap: 10_000 });

    const post = (body: unknown) => resendFailedRoute(request("/api/webhooks/resend-failed", { method: "POST", body: JSON.stringify(body) }), noParams);
    const res = await post({ siteId, action: "points.earned" });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ count: 3, capped: false, cap: 10_000 });
    expect(await (await post({ siteId })).json()).toMatchObject({ count: 0 });

    const invalid = await post({ action: "points.earned" });
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).issues).toEqual([{ path: ["siteId"], message: "Choose a trusted site" }]);
  });
});
