import { eq } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { launchBrowser, signedInContext, watchForErrors } from "../helpers/browser";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { startWebServer, type WebServer } from "../helpers/web-server";

let browser: Browser;
let database: TestDatabase;
let server: WebServer;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launchBrowser();
  database = await createTestDatabase();
  server = await startWebServer({ DATABASE_URL: database.url });
  context = await signedInContext(browser, server.url);
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  await database?.drop();
});

const HOUR = 3_600_000;

describe("signed payloads on the site page", () => {
  it("turns signing on, shows the secret once, rotates with a chosen overlap and lists both secrets with their end", async () => {
    const [site] = await database.db
      .insert(trustedSites)
      .values({ name: "Signed receiver", url: "https://receiver.example.com/hooks", authMethod: "none" })
      .returning();
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`/trusted-sites/${site!.id}`);
    const panel = page.getByRole("region", { name: "Signed payloads" });
    await panel.getByText("Requests are not signed.").waitFor();

    await panel.getByRole("button", { name: "Turn on signing" }).click();
    const shown = page.getByRole("alertdialog", { name: "New signing secret" });
    await shown.waitFor();
    const first = (await shown.getByTestId("new-signing-secret").textContent())!;
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "detached" });
    const rows = panel.getByTestId("signing-secrets").locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(`${first.slice(0, 10)}…`);
    expect(await rows.first().textContent()).toContain("Until rotated");

    // Shown once: neither the page after a reload nor the database holds it in clear.
    await page.reload();
    await panel.getByTestId("signing-secrets").waitFor();
    expect(await page.content()).not.toContain(first.slice(10));
    const [stored] = await database.db.select().from(trustedSites).where(eq(trustedSites.id, site!.id));
    expect(JSON.stringify(stored!.signingSecrets)).not.toContain(first.slice(6));

    // Rotate: an overlap beyond 7 days is refused on the field; 2 hours is taken.
    await panel.getByRole("button", { name: "Rotate secret" }).click();
    const rotate = page.getByRole("alertdialog", { name: "Rotate the signing secret" });
    const overlap = rotate.getByLabel("Overlap (hours)");
    expect(await overlap.inputValue()).toBe("24");
    await overlap.fill("200");
    await rotate.getByRole("button", { name: "Rotate", exact: true }).click();
    await rotate.getByText("The overlap is at most 168 hours (7 days)").waitFor();
    await overlap.fill("2");
    const before = Date.now();
    await rotate.getByRole("button", { name: "Rotate", exact: true }).click();
    await shown.waitFor();
    const second = (await shown.getByTestId("new-signing-secret").textContent())!;
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    await shown.getByRole("button", { name: "Done" }).click();

    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain(`${second.slice(0, 10)}…`);
    expect(await rows.nth(0).textContent()).toContain("Until rotated");
    expect(await rows.nth(1).textContent()).toContain(`${first.slice(0, 10)}…`);
    const until = Date.parse((await rows.nth(1).locator("td").nth(2).locator("time").getAttribute("datetime"))!);
    expect(until).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 2 * HOUR - 1000);
    expect(until).toBeLessThan(Date.now() + 2 * HOUR + 1000);
    await page.getByText("Rotated the signing secret (the previous one signs for 2 more hours)").waitFor();

    // Turning signing off empties the list.
    await panel.getByRole("button", { name: "Turn off signing" }).click();
    await page.getByRole("alertdialog", { name: "Turn off signing?" }).getByRole("button", { name: "Turn off signing" }).click();
    await panel.getByText("Requests are not signed.").waitFor();
    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
  });
});
