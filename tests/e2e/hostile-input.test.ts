import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { MAX_BODY_BYTES } from "@/lib/http/read-json-body";
import { protectedApiRoutes } from "../helpers/api-routes";
import { startTestApp, type TestApp } from "../helpers/test-app";
import { insertCustomer, insertSite } from "../helpers/delivery-fixtures";
import { rowCounts } from "../helpers/row-counts";
import { signInCookie } from "../helpers/web-server";

/**
 * Hostile input against the built server (issue 12 §2), so Next's own routing and decoding are in
 * the way too: thousands of seeded random requests to every API route, none may answer 5xx, and
 * none of the refused ones may write a row.
 */
let app: TestApp;
let token: string;
let sessionCookie: string;
let draftSiteId: string;
let customerId: string;

beforeAll(async () => {
  app = await startTestApp();
  token = (await createApiToken(app.database.db, { name: "fuzz" }, null)).token;
  customerId = await insertCustomer(app.database.db);
  // A draft site: a message to it is refused (409), so even a valid body never queues anything.
  draftSiteId = await insertSite(app.database.db, { url: "https://receiver.example/hooks", status: "draft" });
  sessionCookie = await signInCookie(app.server.url);
});
afterAll(async () => {
  await app?.close();
});

/** mulberry32: small, fast and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof prng>;

const nested = (levels: number, leaf: unknown = "x"): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
};

/** Strings PostgreSQL cannot store: any body carrying one must be refused, whatever field it is in. */
const UNSTORABLE_TEXT = ["\u0000", "a\u0000b", "\ud800", "x\udfff", "\udbff\u0000", "ok\ud83d", "\u0000".repeat(50)];
/** Values of the wrong type for a string field (refused there: no string field coerces). */
const NOT_STRINGS: unknown[] = [0, -1, 1e308, -1e308, 5e-324, 2 ** 63, true, false, null, [], {}, [["x"]], { $ne: 1 }, nested(10)];
/** Raw JSON texts for numbers JSON.stringify cannot write. */
const HUGE_NUMBER_TEXT = ["1e400", "-1e400", "99999999999999999999999999999999", "1" + "0".repeat(400), "-0", "1.5e-400"];

/** One hostile thing that makes any JSON body a refusal, at any depth of `base`. */
function poison(random: Random, base: Record<string, unknown>): string {
  const value = structuredClone(base);
  const keys = Object.keys(value);
  const target = (): Record<string, unknown> => {
    // Sometimes deeper: inside a new or existing object field.
    if (random.next() < 0.3) {
      const holder: Record<string, unknown> = {};
      value[random.pick([...keys, "extra"])] = random.next() < 0.5 ? holder : [holder];
      return holder;
    }
    return value;
  };
  switch (random.int(6)) {
    case 0:
      target()[random.pick([...keys, "x"])] = random.pick(UNSTORABLE_TEXT);
      break;
    case 1:
      target()[random.pick(UNSTORABLE_TEXT)] = random.pick(["v", 1, null]);
      break;
    case 2:
      target()[random.pick([...keys, "x"])] = nested(65 + random.int(3000), random.pick(["x", 1, null, "\u0000"]));
      break;
    case 3: {
      // A string field of the wrong type, plus a huge number no JSON.stringify writes.
      const stringKeys = keys.filter((k) => typeof value[k] === "string");
      if (stringKeys.length === 0) return JSON.stringify(nested(100));
      value[random.pick(stringKeys)] = random.pick(NOT_STRINGS);
      return JSON.stringify(value).replace(/}$/, `,"n":${random.pick(HUGE_NUMBER_TEXT)}}`);
    }
    case 4:
      // Broken JSON: cut short, or with a raw control character in a string.
      return random.next() < 0.5
        ? JSON.stringify(value).slice(0, random.int(JSON.stringify(value).length))
        : JSON.stringify(value).replace(/"$|":"/, '":"\u0000');
    default:
      return random.pick(["null", "[]", '"text"', "1e400", "true", "[".repeat(5000), "{".repeat(3000), "", "\ufeff{}", "{}}"]);
  }
  return JSON.stringify(value);
}

/** A valid body for each route, which poison() spoils; values are real where it matters. */
function baseBody(method: string, path: string): Record<string, unknown> {
  if (path === "/api/api-tokens") return { name: "fuzzed token" };
  if (path.endsWith("/status")) return { status: "active" };
  if (path === "/api/webhooks/messages") return { siteId: draftSiteId, customerId, action: "order.paid", payload: { total: 5 }, idempotencyKey: "k" };
  if (path === "/api/webhooks/resend-failed") return { siteId: draftSiteId, customerId, action: "a", from: "2026-01-01T00:00:00Z" };
  if (path.startsWith("/api/trusted-sites")) {
    return {
      name: "Fuzzed",
      url: "https://receiver.example/",
      authMethod: "jwt",
      authParams: { algorithm: "HS256", secret: "s", timeToLive: "5 minutes", payload: { sub: "x" } },
      rps: 5,
    };
  }
  return { [method.toLowerCase()]: "x" };
}

const QUERY_KEYS = ["status", "siteId", "customerId", "action", "from", "to", "cursor", "limit", "state", "code", "error", "x"];
const QUERY_VALUES = [
  "%00",
  "a%00b",
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%ED%A0%80",
  "%FF%FE",
  "1.abc",
  "1.-",
  "99999999999999999999.1",
  "9223372036854775807.1",
  "1.99999999999999999999999",
  "253402300800000000.1",
  "1.00000000-0000-4000-8000-000000000000",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59-23:59",
  "275760-09-13T00:00:00Z",
  "2026-02-30T00:00:00Z",
  "-1",
  "0",
  "1e9",
  "NaN",
  "Infinity",
  "0x10",
  "201",
  "",
  "active",
  "failed",
  // Long, but not so long that Next's 308 for `/..` (which repeats the URL in two headers) overflows the client's 16 KB.
  "x".repeat(1500),
  "00000000-0000-0000-0000-000000000000",
];
const PATH_SEGMENTS = [
  "%00",
  "a%00b",
  "..",
  "%2e%2e",
  "%2F",
  "x".repeat(3000),
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
  "1e400",
  "-1",
  "9223372036854775808",
  "%F0%9F%8E%89",
  "null",
];
/** Segments that do not decode: a broken %-escape, or bytes that are not UTF-8 (an encoded lone surrogate). */
const BROKEN_PATH_ESCAPES = ["%ZZ", "%", "%E0%A4%A", "%ED%A0%80", "%FF%FE"];

function hostileQuery(random: Random): string {
  const n = 1 + random.int(4);
  const pairs = Array.from({ length: n }, () => `${random.pick(QUERY_KEYS)}=${random.pick(QUERY_VALUES)}`);
  return "?" + pairs.join("&");
}

interface HostileRequest {
  method: string;
  path: string;
  body?: string;
  auth: "token" | "session";
}

/** The routes, `{id}` segments filled with a real draft site id, a random one, or a hostile segment. */
function hostileRequest(random: Random, routes: { method: string; path: string }[]): HostileRequest {
  const route = random.pick(routes);
  const segments = [...PATH_SEGMENTS, ...BROKEN_PATH_ESCAPES];
  // Never a real id for a DELETE: a valid delete is not hostile input.
  const realId = route.method !== "DELETE" && route.path.startsWith("/api/trusted-sites/");
  const id = realId && random.next() < 0.4 ? draftSiteId : random.pick(segments);
  const path = route.path.replace("00000000-0000-4000-8000-000000000000", id);
  const auth = random.next() < 0.7 ? "token" : "session";
  const query = route.method === "GET" || random.next() < 0.2 ? hostileQuery(random) : "";
  if (route.method === "GET" || route.method === "DELETE") return { method: route.method, path: path + query, auth };
  const body = poison(random, baseBody(route.method, route.path));
  // No body is the valid request of an action that takes no fields (Test connection, turning signing on): not hostile there.
  const takesNoFields = NO_FIELD_ACTIONS.some((re) => re.test(route.path));
  return { method: route.method, path: path + query, auth, body: takesNoFields && body.trim() === "" ? "{}}" : body };
}

/** POST routes whose valid request has no body (readNoFieldsBody). */
const NO_FIELD_ACTIONS = [/\/test$/, /\/signing-secrets$/];

async function send(request: HostileRequest): Promise<Response> {
  const headers: Record<string, string> =
    request.auth === "token" ? { authorization: `Bearer ${token}` } : { cookie: sessionCookie, origin: app.server.url };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(app.server.url + request.path, { method: request.method, headers, body: request.body, redirect: "manual" });
  await response.arrayBuffer();
  return response;
}

/** What the server log says when a request failed unexpectedly (lib/logging/log-error.ts) or Next.js itself failed. */
const UNEXPECTED_IN_LOG = /error [0-9a-f]{12} in |database unavailable in|⨯/;

const SEED = Number(process.env.HOSTILE_INPUT_SEED ?? 20261201);
const REQUESTS = 5_000;

describe("hostile input to every API route", () => {
  it(`${REQUESTS} seeded random requests: no 5xx, and nothing refused writes a row (seed ${SEED})`, async () => {
    const routes = [...protectedApiRoutes(), { method: "GET", path: "/api/trusted-sites/00000000-0000-4000-8000-000000000000/oauth/callback" }];
    expect(routes.length).toBeGreaterThan(15);
    const random = prng(SEED);
    const requests = Array.from({ length: REQUESTS }, () => hostileRequest(random, routes));
    const before = await rowCounts(app.database.sql);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    async function worker() {
      while (next < requests.length) {
        const i = next++;
        const request = requests[i]!;
        const response = await send(request).catch((error: Error) => {
          failures.push(`#${i} ${request.method} ${request.path.slice(0, 200)} (${request.auth}) → ${error.message} ${String(error.cause)}`);
          return null;
        });
        if (!response) continue;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        // A 3xx to a write is Next normalising the path (`/..` → 308), which writes nothing either.
        const accepted = request.method !== "GET" && response.status < 300;
        if (response.status >= 500 || accepted) {
          failures.push(`#${i} ${request.method} ${request.path.slice(0, 200)} (${request.auth}) body ${JSON.stringify(request.body?.slice(0, 200))} → ${response.status}`);
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker));
    const summary = `seed ${SEED} (rerun with HOSTILE_INPUT_SEED=${SEED}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`;
    expect(failures.slice(0, 30), `${failures.length} failures, ${summary}`).toEqual([]);
    expect(await rowCounts(app.database.sql), summary).toEqual(before);
    expect(app.server.output(), summary).not.toMatch(UNEXPECTED_IN_LOG);
  }, 300_000);

  it("every [id] route answers 400 to a segment that does not decode", async () => {
    const routes = protectedApiRoutes().filter((r) => r.path.includes("00000000-0000-4000-8000-000000000000"));
    for (const route of routes) {
      for (const escape of BROKEN_PATH_ESCAPES) {
        const response = await send({ ...route, path: route.path.replace("00000000-0000-4000-8000-000000000000", escape), auth: "token" });
        expect(response.status, `${route.method} ${route.path} with ${escape}`).toBe(400);
      }
    }
  });

  it("the Logs page shows which filter is wrong for dates, cursors and NUL it cannot use", async () => {
    for (const query of ["from=0000-01-01T00:00:00Z", "cursor=9223372036854775807.1", "action=a%00b", "to=2026-02-30T00:00:00Z"]) {
      const response = await fetch(`${app.server.url}/webhooks/logs?${query}`, { headers: { cookie: sessionCookie } });
      const html = await response.text();
      expect(response.status, query).toBe(200);
      expect(html, query).toContain("These filters are not valid");
      expect(html, query).not.toContain("This page could not be loaded");
    }
  });

  it("pages that read the query string answer every hostile one (300 seeded, signed in)", async () => {
    const random = prng(SEED + 1);
    const pages = ["/webhooks/logs", "/oauth-result", "/sign-in", "/webhooks/queue", "/trusted-sites"];
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const query = hostileQuery(random).replace(/(^\?|&)x=/, "$1next=");
      const path = random.pick(pages) + query;
      const response = await fetch(app.server.url + path, { headers: { cookie: sessionCookie }, redirect: "manual" });
      const html = await response.text();
      if (response.status >= 500 || html.includes("This page could not be loaded")) failures.push(`${path.slice(0, 200)} → ${response.status}`);
    }
    expect(failures, `seed ${SEED + 1}`).toEqual([]);
    expect(app.server.output()).not.toMatch(UNEXPECTED_IN_LOG);
  });
});

/** A request on `agent`; an oversized body is written in chunks (no Content-Length) until the server answers. */
function request(agent: http.Agent, method: string, path: string, uploadBytes = 0) {
  return new Promise<{ status: number; connection?: string }>((resolve, reject) => {
    const req = http.request(app.server.url + path, { method, agent, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    if (uploadBytes === 0) return void req.end();
    const chunk = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    req.write('{"payload":"');
    const pump = () => {
      while (!answered && sent < uploadBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end('"}');
    };
    pump();
  });
}

describe("a 413 on a kept-alive connection", () => {
  it("says Connection: close, and no other request on the same keep-alive agent is reset", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 3 });
    try {
      for (let round = 0; round < 5; round++) {
        const small = Array.from({ length: 12 }, () => request(agent, "GET", "/api/api-tokens"));
        const big = request(agent, "POST", "/api/webhooks/messages", 2 * MAX_BODY_BYTES);
        const tooLarge = await big;
        expect(tooLarge).toEqual({ status: 413, connection: "close" });
        expect((await Promise.all(small)).map((r) => r.status)).toEqual(Array(12).fill(200));
        // The sockets the agent kept alive still work after the 413.
        expect((await Promise.all(Array.from({ length: 6 }, () => request(agent, "GET", "/api/api-tokens")))).map((r) => r.status)).toEqual(
          Array(6).fill(200),
        );
      }
    } finally {
      agent.destroy();
    }
  });
});
