import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as postApiToken } from "@/app/api/api-tokens/route";
import { POST as postSite } from "@/app/api/trusted-sites/route";
import { GET as getLogs } from "@/app/api/webhooks/logs/route";
import { POST as postMessage } from "@/app/api/webhooks/messages/route";
import { GET as getQueue } from "@/app/api/webhooks/queue/route";
import { GET as countResendFailed, POST as postResendFailed } from "@/app/api/webhooks/resend-failed/route";
import { getBackofficeAuth } from "@/lib/backoffice-auth";
import { ensureFirstUser } from "@/lib/backoffice-auth/create-user";
import { startLocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { MAX_JSON_DEPTH } from "@/lib/validation";
import { createRouteTestDatabase, type RouteTestDatabase } from "../../helpers/app-database";
import { insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { rowCounts } from "../../helpers/row-counts";
import { startWebhookReceiver } from "../../helpers/webhook-receiver";

/**
 * Input PostgreSQL or our recursive code cannot take (issue 12 §2) answers a 4xx naming the field,
 * never a 500, and writes nothing.
 */
let database: RouteTestDatabase;
let token: string;
/** Only a signed-in user may create API tokens. */
let sessionCookie: string;
let customerId: string;
let siteId: string;
beforeAll(async () => {
  database = await createRouteTestDatabase("hostile input");
  token = database.token;
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
  const auth = await getBackofficeAuth();
  const admin = { email: "admin@example.com", password: "a long enough password" };
  await ensureFirstUser(auth, admin);
  const signedIn = await auth.api.signInEmail({ body: admin, asResponse: true });
  sessionCookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
});
afterAll(() => database?.drop());

type Route = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;
const noParams = { params: Promise.resolve({}) } as { params: Promise<Record<string, never>> };
const call = (route: Route, path: string, body?: string, credentials: "token" | "session" = "token") =>
  route(
    new Request(`http://app.test${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...(credentials === "token" ? { authorization: `Bearer ${token}` } : { cookie: sessionCookie }),
        "content-type": "application/json",
      },
      body,
    }),
    noParams,
  );

/** JSON.stringify writes NUL and lone surrogates as \u escapes, as a hostile client would send them. */
const json = (value: unknown) => JSON.stringify(value);
const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

/** Calls the route and expects a 422 whose only issue is at `path` (optionally only its start), with nothing written. */
async function expectRefused(response: Promise<Response>, path: (string | number)[], message: RegExp, options: { prefixOnly?: boolean } = {}) {
  const before = await rowCounts(database.sql);
  const res = await response;
  const body = await res.json();
  expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(422);
  expect(body).toMatchObject({ code: "invalid_input", issues: [{ message: expect.stringMatching(message) }] });
  const issuePath = body.issues[0].path;
  expect(options.prefixOnly ? issuePath.slice(0, path.length) : issuePath).toEqual(path);
  expect(await rowCounts(database.sql)).toEqual(before);
  return body;
}

const UNSTORABLE = /must not contain NUL .* or unpaired surrogate/;
const message = (fields: Record<string, unknown>) => json({ siteId, customerId, action: "order.paid", payload: {}, ...fields });

describe("NUL and lone surrogates (PostgreSQL text and jsonb cannot store them)", () => {
  it("in a site name, and a lone surrogate in a site name", async () => {
    const site = { url: "https://receiver.example/", authMethod: "none" };
    await expectRefused(call(postSite, "/api/trusted-sites", json({ ...site, name: "Shop\u0000" })), ["name"], UNSTORABLE);
    await expectRefused(call(postSite, "/api/trusted-sites", json({ ...site, name: "Shop \ud800" })), ["name"], UNSTORABLE);
  });

  it("in a message's payload at any depth, in its keys, in action and in idempotencyKey", async () => {
    const post = (body: string) => call(postMessage, "/api/webhooks/messages", body);
    await expectRefused(post(message({ payload: { order: { lines: [{ sku: "a\u0000b" }] } } })), ["payload", "order", "lines", 0, "sku"], UNSTORABLE);
    await expectRefused(post(message({ payload: { order: { ["k\u0000"]: 1 } } })), ["payload", "order"], /^Keys must not contain NUL/);
    await expectRefused(post(message({ payload: ["ok", "\udc00 trailing"] })), ["payload", 1], UNSTORABLE);
    await expectRefused(post(message({ payload: { ["\ud83d"]: true } })), ["payload"], /^Keys/);
    await expectRefused(post(message({ action: "order\u0000paid" })), ["action"], UNSTORABLE);
    await expectRefused(post(message({ idempotencyKey: "key-\u0000" })), ["idempotencyKey"], UNSTORABLE);
  });

  it("in an API token name", async () => {
    await expectRefused(call(postApiToken, "/api/api-tokens", json({ name: "ci\u0000" }), "session"), ["name"], UNSTORABLE);
  });

  it("in ?action= on GET /api/webhooks/logs and on GET /api/webhooks/resend-failed", async () => {
    await expectRefused(call(getLogs, "/api/webhooks/logs?action=a%00b"), ["action"], UNSTORABLE);
    await expectRefused(call(countResendFailed, `/api/webhooks/resend-failed?siteId=${siteId}&action=%00`), ["action"], UNSTORABLE);
  });

  it("while a well-formed pair (an emoji) and other control characters are stored as sent", async () => {
    const res = await call(postMessage, "/api/webhooks/messages", message({ action: "party 🎉", payload: { "🎉": "tab\there\u0001" } }));
    expect(res.status).toBe(202);
  });
});

describe('"payload": null', () => {
  it("is JSON, so it is queued, stored as JSON null and delivered as \"data\": null", async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 200 }));
    const worker = startLocalWorker({ ...database, box: createSecretBox(Buffer.alloc(32)), allowPrivateTargets: "127.0.0.1", purgeEveryMs: 0 });
    try {
      const target = await insertSite(database.db, { url: `${receiver.url}/hooks` });
      const res = await call(postMessage, "/api/webhooks/messages", json({ siteId: target, customerId, action: "ping", payload: null }));
      expect(res.status).toBe(202);
      const { id } = await res.json();
      const [stored] = await database.sql`select jsonb_typeof(payload) as type from webhook_messages where id = ${id}`;
      expect(stored).toEqual({ type: "null" });
      expect(await waitUntilFinished(database.db, id)).toMatchObject({ status: "done" });
      expect(JSON.parse(receiver.arrivals[0]!.body)).toMatchObject({ data: null, type: "ping" });
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it("is not the same as leaving payload out, which is refused", async () => {
    await expectRefused(call(postMessage, "/api/webhooks/messages", json({ siteId, customerId, action: "ping" })), ["payload"], /./);
  });
});

describe(`nesting deeper than ${MAX_JSON_DEPTH} levels (zod and our code recurse)`, () => {
  it("a message payload nested 2,200 levels: 422 at the payload, before zod runs", async () => {
    await expectRefused(call(postMessage, "/api/webhooks/messages", message({ payload: nested(2200) })), ["payload"], /deeper than 64 levels/, {
      prefixOnly: true,
    });
  });

  it("a JWT site's authParams.payload nested 2,000 levels", async () => {
    const site = { name: "Deep JWT", url: "https://receiver.example/", authMethod: "jwt" };
    const authParams = { algorithm: "HS256", secret: "s3cret", timeToLive: "5 minutes", payload: { claim: nested(2000) } };
    await expectRefused(call(postSite, "/api/trusted-sites", json({ ...site, authParams })), ["authParams", "payload", "claim"], /deeper than 64/, {
      prefixOnly: true,
    });
  });

  it(`exactly ${MAX_JSON_DEPTH} levels, the whole body counted, is accepted`, async () => {
    // The body is level 1 and the payload level 2.
    const res = await call(postMessage, "/api/webhooks/messages", message({ payload: nested(MAX_JSON_DEPTH - 1) }));
    expect(res.status).toBe(202);
    await expectRefused(call(postMessage, "/api/webhooks/messages", message({ payload: nested(MAX_JSON_DEPTH) })), ["payload"], /deeper/, {
      prefixOnly: true,
    });
  });
});

describe("cursors that are not from this API", () => {
  const forged = ["1.abc", "1.-", "99999999999999999999.1", "9223372036854775807.1", "1.99999999999999999999999", "1.2.3", ".1", "1."];

  it.each(forged)("GET /api/webhooks/logs?cursor=%s → 422 at cursor", async (cursor) => {
    await expectRefused(call(getLogs, `/api/webhooks/logs?cursor=${encodeURIComponent(cursor)}`), ["cursor"], /^Not a cursor from this API$/);
  });

  it.each([...forged, "1.00000000-0000-4000-8000-00000000000g", "1.9223372036854775807"])(
    "GET /api/webhooks/queue?cursor=%s → 422 at cursor",
    async (cursor) => {
      await expectRefused(call(getQueue, `/api/webhooks/queue?cursor=${encodeURIComponent(cursor)}`), ["cursor"], /^Not a cursor from this API$/);
    },
  );

  it("the largest attempt id and a cursor at the end of 9999 are still cursors", async () => {
    expect((await call(getLogs, "/api/webhooks/logs?cursor=253402300799999999.9223372036854775807")).status).toBe(200);
    expect((await call(getQueue, "/api/webhooks/queue?cursor=1.00000000-0000-4000-8000-000000000000")).status).toBe(200);
  });
});

describe("dates outside 1970–9999 on from/to", () => {
  const year0 = "0000-01-01T00:00:00Z";

  it("GET /api/webhooks/logs", async () => {
    await expectRefused(call(getLogs, `/api/webhooks/logs?from=${year0}`), ["from"], /^From must be between 1970 and 9999$/);
    await expectRefused(call(getLogs, `/api/webhooks/logs?to=${encodeURIComponent("10000-01-01T00:00:00Z")}`), ["to"], /./);
  });

  it("GET and POST /api/webhooks/resend-failed", async () => {
    await expectRefused(call(countResendFailed, `/api/webhooks/resend-failed?siteId=${siteId}&to=${year0}`), ["to"], /^To must be between 1970/);
    await expectRefused(call(postResendFailed, "/api/webhooks/resend-failed", json({ siteId, from: year0 })), ["from"], /^From must be between/);
  });
});
