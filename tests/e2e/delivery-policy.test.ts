import { mkdirSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { insertCustomer, messageRow, waitFor } from "../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

/** Set SCREENSHOT_DIR (e.g. docs/screenshots) to save the site page with its policy and the deactivation banner. */
const screenshotDir = process.env.SCREENSHOT_DIR;

let app: BrowserApp;
let receiver: WebhookReceiver;
let customerId: string;
let gone = true;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => ({ status: gone ? 410 : 200 }));
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.1",
    WEBHOOK_RETRY_INTERVAL_MS: "500",
  });
  customerId = await insertCustomer(app.database.db);
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

const policy = (page: Page) => page.getByTestId("delivery-policy");
const banner = (page: Page) => page.getByTestId("deactivation-banner");

describe("a site's delivery policy", () => {
  it("is set on the form (checked like the API), shown on the site page; a 410 Gone shows the system's deactivation banner until activation", async () => {
    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto("/trusted-sites/new");
    await page.getByLabel("Name").fill("Gone receiver");
    await page.getByLabel("URL", { exact: true }).fill(`${receiver.url}/hooks`);
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Delivery policy" }) });
    // The defaults: the original 5 attempts, 10 s apart.
    await expect.poll(() => section.getByLabel("Attempts").inputValue(), { timeout: 10_000 }).toBe("5");
    expect(await section.getByLabel("Schedule").inputValue()).toBe("fixed");
    expect(await section.getByLabel("Interval (seconds)").getAttribute("placeholder")).toBe("10 (default)");
    expect(await section.getByLabel("Deactivate automatically").inputValue()).toBe("");

    await section.getByLabel("Attempts").fill("25");
    await section.getByLabel("Schedule").selectOption("exponential");
    await section.getByLabel("Base delay (seconds)").fill("120");
    await section.getByLabel("Maximum delay (seconds)").fill("60");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await section.getByText("Attempts must be between 1 and 20").waitFor();
    await section.getByText("The maximum delay must be at least the interval (120 s)").waitFor();

    await section.getByLabel("Attempts").fill("7");
    await section.getByLabel("Base delay (seconds)").fill("2");
    await section.getByLabel("Maximum delay (seconds)").fill("600");
    await section.getByLabel("Fail fast on 4xx").check();
    await section.getByLabel("Deactivate automatically").selectOption({ label: "After 24 hours of failures" });
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    const siteId = page.url().split("/").at(-1)!;

    const shown = await policy(page).textContent();
    expect(shown).toContain("7 attempts, exponential backoff with full jitter from 2 s, at most 10 min between attempts");
    expect(shown).toContain("On 429 and 503, honoured when longer, up to 10 min");
    expect(shown).toContain("On (except 408, 409, 425, 429)");
    expect(shown).toContain("After 24 h of failures");
    expect(await banner(page).count()).toBe(0);

    // The edit form shows the stored policy (react-hook-form fills the inputs once the page is hydrated).
    await page.goto(`/trusted-sites/${siteId}/edit`);
    await expect.poll(() => page.getByLabel("Attempts").inputValue(), { timeout: 10_000 }).toBe("7");
    expect(await page.getByLabel("Schedule").inputValue()).toBe("exponential");
    expect(await page.getByLabel("Fail fast on 4xx").isChecked()).toBe(true);
    expect(await page.getByLabel("Deactivate automatically").inputValue()).toBe("86400");

    const activated = await app.context.request.post(`/api/trusted-sites/${siteId}/status`, { data: { status: "active" }, headers: { origin: app.server.url } });
    expect(activated.status()).toBe(200);
    const triggered = await app.context.request.post("/api/webhooks/messages", {
      data: { siteId, customerId, action: "points.earned", payload: { points: 5 } },
      headers: { origin: app.server.url },
    });
    const { id } = await triggered.json();
    await waitFor(async () => (await messageRow(app.database.db, id)).status === "failed", 10_000, "the 410 to fail the message");

    await page.goto(`/trusted-sites/${siteId}`);
    await banner(page).waitFor();
    expect(await banner(page).textContent()).toMatch(/The system set this site inactive.*Receiver answered 410 Gone at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\..*Activate the site to resume them/);
    expect(await page.getByRole("row", { name: /Set the site inactive: Receiver answered 410 Gone/ }).textContent()).toContain("system");
    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, "delivery-policy.png"), fullPage: true });
    }

    // The message page counts its attempt against the site's policy.
    await page.goto(`/webhooks/messages/${id}`);
    await page.getByText("1 of 7").first().waitFor();

    gone = false;
    await page.goto(`/trusted-sites/${siteId}`);
    await page.getByRole("button", { name: "Set active", exact: true }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Set active" }).click();
    await expect.poll(() => banner(page).count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByRole("row", { name: /Set the site active/ }).first().textContent()).toContain("operator@example.com");
    expect(errors).toEqual([]);
    await page.close();
  });
});
