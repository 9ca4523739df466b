import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "@/lib/db/schema";
import { launchBrowser, signedInContext, watchForErrors } from "../helpers/browser";
import { startTestApp, type TestApp } from "../helpers/test-app";
import { freePort, startWebServer } from "../helpers/web-server";

const PAGES = [
  { nav: "Trusted sites", path: "/trusted-sites", heading: "Trusted sites", empty: "No trusted sites yet" },
  { nav: "Logs", path: "/webhooks/logs", heading: "Logs", empty: "No webhook attempts yet" },
  { nav: "Queue", path: "/webhooks/queue", heading: "Queue", empty: "Nothing in flight" },
  { nav: "Workflows", path: "/workflows", heading: "Workflows", empty: "No workflows yet" },
  { nav: "Customers", path: "/customers", heading: "Customers", empty: "No customers yet" },
  { nav: "API tokens", path: "/settings/api-tokens", heading: "API tokens", empty: "No API tokens yet" },
];

let browser: Browser;
beforeAll(async () => (browser = await launchBrowser()));
afterAll(() => browser?.close());

async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  return { page, errors: watchForErrors(page) };
}

describe("the backoffice in a browser", () => {
  let app: TestApp;
  let context: BrowserContext;
  beforeAll(async () => {
    app = await startTestApp();
    context = await signedInContext(browser, app.server.url);
  });
  afterAll(async () => {
    await context?.close();
    await app?.close();
  });

  it("opens every page from the navigation, each with its empty state and no console error", async () => {
    const { page, errors } = await openPage(context);
    await page.goto(app.server.url);
    expect(new URL(page.url()).pathname).toBe("/trusted-sites");
    for (const p of PAGES) {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: p.nav, exact: true }).click();
      await page.waitForURL(`**${p.path}`);
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(p.heading);
      expect(await page.getByRole("status").textContent()).toContain(p.empty);
      expect(await page.getByRole("link", { name: p.nav, exact: true }).getAttribute("aria-current")).toBe("page");
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows stored rows, and a customer link leads to the customer's profile", async () => {
    const { db } = app.database;
    const [site] = await db.insert(trustedSites).values({ name: "CRM", url: "https://crm.example/hook" }).returning();
    const [ada] = await db.insert(customers).values({ name: "Ada Lovelace", email: "ada@example.com" }).returning();
    const [message] = await db
      .insert(webhookMessages)
      .values({ siteId: site!.id, customerId: ada!.id, action: "points.earned", payload: {}, contentHash: "h", status: "resent", attempts: 1 })
      .returning();
    await db.insert(webhookAttempts).values({
      messageId: message!.id, siteId: site!.id, customerId: ada!.id, action: "points.earned",
      attemptNo: 1, status: "resent", scheduledAt: new Date(), responseCode: 503,
    });

    const { page, errors } = await openPage(context);
    await page.goto(`${app.server.url}/trusted-sites`);
    expect(await page.getByRole("row", { name: /CRM/ }).textContent()).toContain("https://crm.example/hook");

    await page.goto(`${app.server.url}/webhooks/queue`);
    expect(await page.getByRole("row", { name: /Ada Lovelace/ }).textContent()).toContain(message!.id);

    await page.goto(`${app.server.url}/webhooks/logs`);
    const row = page.getByRole("row", { name: /points\.earned/ });
    expect(await row.textContent()).toMatch(/503.*resent/i);
    await row.getByRole("link", { name: "Ada Lovelace" }).click();
    await page.waitForURL(`**/customers/${ada!.id}`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Ada Lovelace");
    expect(await page.getByRole("row", { name: /points\.earned/ }).textContent()).toContain("CRM");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("answers an unknown customer with a not-found page", async () => {
    const { page } = await openPage(context);
    const response = await page.goto(`${app.server.url}/customers/00000000-0000-4000-8000-000000000000`);
    expect(response?.status()).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Page not found");
    await page.close();
  });
});

describe("the zero-setup default database", () => {
  it("keeps its data when the server is stopped and started again", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tsw-e2e-data-"));
    const env = { DATABASE_URL: "", DATA_DIR: dataDir };
    try {
      let server = await startWebServer(env);
      // The seed command finds the running embedded server and writes through it.
      await promisify(execFile)(path.resolve("node_modules/.bin/tsx"), ["scripts/seed.ts"], {
        env: { ...process.env, ...env },
      });
      await server.stop();
      // The embedded PostgreSQL stopped with the server, so the next start really starts it again.
      await expect(fs.access(path.join(dataDir, "pg", "postmaster.pid"))).rejects.toThrow();

      server = await startWebServer(env);
      const context = await signedInContext(browser, server.url);
      const { page, errors } = await openPage(context);
      await page.goto(`${server.url}/customers`);
      await page.getByRole("link", { name: "Grace Hopper" }).waitFor();
      expect(errors).toEqual([]);
      await context.close();
      await server.stop();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a malformed APP_ENCRYPTION_KEY, saying how to make one", async () => {
    const child = spawn(path.resolve("node_modules/.bin/next"), ["start", "-p", String(await freePort())], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", APP_ENCRYPTION_KEY: "not-a-key" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(1);
    expect(stderr.trim()).toBe(
      "error: APP_ENCRYPTION_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32)",
    );
  });

  it("refuses to start on a broken DATABASE_URL with one line naming the problem", async () => {
    const port = await freePort();
    const child = spawn(path.resolve("node_modules/.bin/next"), ["start", "-p", String(await freePort())], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: `postgres://app:pw-123@127.0.0.1:${port}/webhooks` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `error: Cannot reach PostgreSQL: nothing is listening at 127.0.0.1:${port}. Start PostgreSQL or fix the host/port in DATABASE_URL.`,
    );
  });
});
