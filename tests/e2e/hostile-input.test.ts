import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { MAX_BODY_BYTES } from "@/lib/http/read-json-body";
import { protectedApiRoutes } from "../helpers/api-routes";
import { BROKEN_PATH_ESCAPES, hostileQuery, hostileRequest, prng, type HostileRequest } from "../helpers/hostile-requests";
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
    const requests = Array.from({ length: REQUESTS }, () => hostileRequest(random, routes, { draftSiteId, customerId }));
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
