import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/api-tokens/manage-api-tokens";
import { customers, trustedSites, workflowRuns } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { createWorkflow } from "@/lib/workflows/save-workflow";
import { startTestApp, type TestApp } from "../helpers/test-app";
import { signInCookie } from "../helpers/web-server";

// Regression test for issue 12 §1: a made-up session cookie got a 307 whose body carried the page's
// data, and RSC requests (which skip the layout) got a 200 with it.
let app: TestApp;
let sessionCookie: string;
const MARK = {
  email: "leak-marker-email@example.com",
  tokenName: "leak-marker-token",
  payload: "leak-marker-payload",
  siteUrl: "https://leak-marker-host.example/hooks",
  username: "leak-marker-username",
  workflowName: "leak-marker-workflow",
};
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp();
  const [customer] = await app.database.db.insert(customers).values({ name: "Marker Customer", email: MARK.email }).returning();
  const [site] = await app.database.db
    .insert(trustedSites)
    .values({ name: "Marker site", url: MARK.siteUrl, status: "active", authMethod: "basic", authParams: { username: MARK.username } })
    .returning();
  await createApiToken(app.database.db, { name: MARK.tokenName }, null);
  const message = await enqueue(app.database.db, { siteId: site!.id, customerId: customer!.id, action: "marker", payload: { note: MARK.payload } });
  const workflow = await createWorkflow(app.database.db, { kind: "user", userId: "u1", email: "ops@example.com" }, {
    name: MARK.workflowName,
    trigger: { event: "point_add" },
    graph: { nodes: [], edges: [] },
  });
  const [run] = await app.database.db
    .insert(workflowRuns)
    .values({ workflowId: workflow.id, versionId: workflow.version.id, event: "point_add", eventData: {}, customerId: customer!.id, status: "completed" })
    .returning();
  Object.assign(ids, { customer: customer!.id, site: site!.id, message: message.id, workflow: workflow.id, run: run!.id });

  sessionCookie = await signInCookie(app.server.url);
});
afterAll(async () => {
  await app?.close();
});

/** Every backoffice page's URL, with the ids of the seeded rows in its dynamic segments. */
function backofficePages(): string[] {
  const root = path.resolve("app/(backoffice)");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => /(^|\/)page\.tsx$/.test(f))
    .map((file) => {
      const segments = path.dirname(file).split(path.sep).filter((s) => s !== "." && !s.startsWith("("));
      const filled = segments.map((s, i) => {
        if (!s.startsWith("[")) return s;
        const kinds: Record<string, string> = { "trusted-sites": "site", customers: "customer", messages: "message", workflows: "workflow", runs: "run" };
        const kind = kinds[segments[i - 1]!];
        if (!kind) throw new Error(`no seeded row for ${file}`);
        return ids[kind]!;
      });
      return "/" + filled.join("/");
    });
}

/*
 * Router trees as Chromium sends them (captured from a client-side navigation), saying "the client
 * already shows this page and the backoffice layout": for any other page only the page segment renders.
 */
const SITES_LIST_TREE = ["", { children: ["(backoffice)", { children: ["trusted-sites", { children: ["(list)", { children: ["__PAGE__", {}, null, null, 0] }, null, null, 4] }, null, null, 8] }, null, null, 8] }, null, null, 24];
const WORKFLOWS_TREE = ["", { children: ["(backoffice)", { children: ["workflows", { children: ["(list)", { children: ["__PAGE__", {}, null, null, 0] }, null, null, 4] }, null, null, 8] }, null, null, 8] }, null, null, 24];
const treeOfAnotherPage = (url: string) => (url === "/trusted-sites" ? WORKFLOWS_TREE : SITES_LIST_TREE);

const FORGED = ["better-auth.session_token=1", "__Secure-better-auth.session_token=1", "better-auth.session_token=forged.signature"];

async function fetchPage(url: string, cookie: string, rsc?: { tree: unknown }) {
  const headers: Record<string, string> = { cookie };
  if (rsc) {
    headers.rsc = "1";
    // The client says it already shows another backoffice page: only the new page segment renders.
    headers["next-router-state-tree"] = encodeURIComponent(JSON.stringify(rsc.tree));
  }
  let response = await fetch(app.server.url + url, { headers, redirect: "manual" });
  const location = response.headers.get("location");
  // Next.js sends an RSC request without the matching `_rsc` cache-busting parameter to the URL with it.
  if (rsc && response.status === 307 && location?.includes("_rsc=")) {
    await response.arrayBuffer();
    response = await fetch(new URL(location, app.server.url), { headers, redirect: "manual" });
  }
  return { status: response.status, body: await response.text() };
}

function leaked(body: string): string[] {
  return Object.values(MARK).filter((marker) => body.includes(marker));
}

describe("a backoffice page with a forged session cookie", () => {
  it("covers every page", () => {
    expect(backofficePages().length).toBeGreaterThanOrEqual(12);
  });

  it("shows its data to a signed-in user, also to an RSC request that skips the layout (so a leak would be seen)", async () => {
    const seen = new Set<string>();
    const seenOverRsc = new Set<string>();
    const pages = backofficePages();
    for (const url of pages) {
      for (const marker of leaked((await fetchPage(url, sessionCookie)).body)) seen.add(marker);
      const rsc = await fetchPage(url, sessionCookie, { tree: treeOfAnotherPage(url) });
      expect(rsc.status, url).toBe(200);
      // Only the page segment rendered: the layout's "Signed in as" is not in the answer.
      expect(rsc.body, url).not.toContain("Signed in as");
      for (const marker of leaked(rsc.body)) seenOverRsc.add(marker);
    }
    expect([...seen].sort()).toEqual(Object.values(MARK).sort());
    expect([...seenOverRsc].sort()).toEqual(Object.values(MARK).sort());
  }, 120_000);

  it("gets none of the page's data, with or without the RSC headers", async () => {
    const pages = backofficePages();
    for (const url of pages) {
      for (const cookie of FORGED) {
        for (const rsc of [undefined, { tree: treeOfAnotherPage(url) }]) {
          const { status, body } = await fetchPage(url, cookie, rsc);
          const what = `${url} with ${cookie}${rsc ? " (RSC)" : ""}`;
          expect(leaked(body), what).toEqual([]);
          expect(body, what).not.toContain("Marker Customer");
          if (!rsc) expect([307, 303, 302], what).toContain(status);
        }
      }
    }
  }, 120_000);
});

describe("a page about a row that does not exist", () => {
  it("answers HTTP 404 with the not-found page", async () => {
    const unknown = "6f1c2a4e-0b7d-4c1e-9a55-2d3b4c5e6f70";
    for (const url of [
      `/trusted-sites/${unknown}`,
      `/trusted-sites/${unknown}/edit`,
      "/trusted-sites/not-an-id",
      `/webhooks/messages/${unknown}`,
      `/customers/${unknown}`,
      "/customers/%ZZ",
      `/workflows/${unknown}`,
      "/workflows/not-an-id",
      `/workflows/${ids.workflow}/runs/${unknown}`,
      `/workflows/${unknown}/runs/${ids.run}`,
      `/workflows/${ids.workflow}/runs/not-an-id`,
    ]) {
      const { status, body } = await fetchPage(url, sessionCookie);
      expect(status, url).toBe(404);
      expect(body, url).toContain("Page not found");
    }
  });
});
