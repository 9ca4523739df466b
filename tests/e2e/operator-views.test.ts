import { randomBytes } from "node:crypto";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, customers } from "@/lib/db/schema";
import { signedInContext, watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { attemptRows, insertSite, messageRow, waitFor } from "../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";
import { TEST_ADMIN } from "../helpers/web-server";

/** Set SCREENSHOT_DIR (e.g. docs/screenshots) to save the Customers, Queue and phone-width pages. */
const screenshotDir = process.env.SCREENSHOT_DIR;

let app: BrowserApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => ({ status: 503 }));
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.1",
    // A failed attempt waits ten minutes: only Retry now sends it sooner.
    WEBHOOK_RETRY_INTERVAL_MS: "600000",
  });
  await app.database.db.insert(customers).values([
    ...Array.from({ length: 120 }, (_, i) => ({ name: `Customer ${String(i).padStart(3, "0")}`, email: `customer-${i}@example.com`, externalId: `EXT-${i}` })),
    { name: "Ada Lovelace", email: "ada@analytical.example", externalId: "C-1042" },
  ]);
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

describe("the Customers page", () => {
  it("pages 50 at a time and finds a customer by name, e-mail or external id", async () => {
    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto("/customers");
    const rows = page.getByTestId("customer-row");
    expect(await rows.count()).toBe(50);
    expect(await rows.first().innerText()).toMatch(/^Ada Lovelace/);
    await page.getByRole("link", { name: "Next page" }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => rows.first().innerText()).toMatch(/^Customer 049/);
    expect(await rows.count()).toBe(50);
    await page.getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => rows.count()).toBe(21);
    expect(await page.getByRole("link", { name: "Next page" }).count()).toBe(0);
    await page.getByRole("link", { name: "First page" }).click();
    await expect.poll(() => rows.first().innerText()).toMatch(/^Ada Lovelace/);

    const search = page.getByRole("searchbox", { name: "Search customers" });
    for (const term of ["ada", "ADA@analytical", "c-1042"]) {
      await search.fill(term);
      await search.press("Enter");
      await page.waitForURL((url) => url.searchParams.get("q") === term);
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.innerText()).toMatch(/Ada Lovelace\s+ada@analytical\.example\s+C-1042/);
    }
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, "customers.png"), fullPage: false });

    await search.fill("zz top");
    await search.press("Enter");
    await page.getByText("No customers match “zz top”").waitFor();
    expect(await rows.count()).toBe(0);
    await page.getByRole("link", { name: "All customers" }).click();
    await expect.poll(() => rows.count()).toBe(50);

    await page.goto("/customers?cursor=forged");
    await page.getByText("This search is not valid").waitFor();
    await page.getByText("Not a cursor from this API").waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("at 390 px wide", () => {
  it("gives the page the width and opens the navigation from a Menu button", async () => {
    const phone = await signedInContext(app.browser, app.server.url);
    const page = await phone.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const errors = watchForErrors(page);
    await page.goto("/customers");
    const contentWidth = await page.locator("main").evaluate((main) => {
      const style = getComputedStyle(main);
      return main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    });
    expect(contentWidth).toBeGreaterThanOrEqual(350);
    expect(await page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(false);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, "customers-390px.png") });

    // While the drawer is open the rest of the page is aria-hidden (a modal), the button included.
    const menu = page.getByRole("button", { name: "Menu", exact: true, includeHidden: true });
    expect(await menu.getAttribute("aria-expanded")).toBe("false");
    await menu.click();
    const drawer = page.getByRole("dialog", { name: "Menu" });
    await drawer.waitFor();
    expect(await menu.getAttribute("aria-expanded")).toBe("true");
    expect(await drawer.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, "navigation-390px.png") });
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    expect(await menu.getAttribute("aria-expanded")).toBe("false");
    expect(await menu.evaluate((m) => m === document.activeElement)).toBe(true);

    await menu.click();
    await drawer.getByRole("link", { name: "Queue" }).click();
    await page.waitForURL("**/webhooks/queue");
    await page.getByRole("heading", { name: "Queue", level: 1 }).waitFor();
    await drawer.waitFor({ state: "detached" });
    expect(errors).toEqual([]);
    await phone.close();
  });

  it("keeps the sidebar and no Menu button on a wide screen", async () => {
    const page = await app.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto("/customers");
    expect(await page.getByRole("navigation", { name: "Main" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Menu", exact: true, includeHidden: true }).isVisible()).toBe(false);
    await page.close();
  });
});

describe("the Queue", () => {
  it("shows the last error and the site, retries a waiting message now, and shows a paused one without Retry now", async () => {
    const [customer] = await app.database.db.select({ id: customers.id }).from(customers).limit(1);
    const siteId = await insertSite(app.database.db, { url: `${receiver.url}/hooks` });
    const pausedSiteId = await insertSite(app.database.db, { url: `${receiver.url}/paused` });
    const trigger = async (site: string) => {
      const res = await app.context.request.post("/api/webhooks/messages", {
        data: { siteId: site, customerId: customer!.id, action: "points.earned", payload: { points: 5 } },
        headers: { origin: app.server.url },
      });
      expect(res.status()).toBe(202);
      return (await res.json()).id as string;
    };
    const waiting = await trigger(siteId);
    const paused = await trigger(pausedSiteId);
    await waitFor(() => receiver.arrivals.length >= 2, 15_000, "both first sends");
    const deactivated = await app.context.request.post(`/api/trusted-sites/${pausedSiteId}/status`, { data: { status: "inactive" }, headers: { origin: app.server.url } });
    expect(deactivated.status()).toBe(200);

    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto("/webhooks/queue");
    const row = page.getByTestId("queue-row").filter({ hasText: waiting });
    await row.getByTestId("last-error").getByText("the receiver answered 503").waitFor();
    const [site] = await app.database.sql<{ name: string }[]>`select name from trusted_sites where id = ${siteId}`;
    expect(await row.getByRole("link", { name: site!.name }).getAttribute("href")).toBe(`/trusted-sites/${siteId}`);
    // Due in ten minutes, shown as the due time.
    expect(await row.innerText()).toMatch(/in (9|10) min|\d\d:\d\d:\d\d UTC/);

    const pausedRow = page.getByTestId("queue-row").filter({ hasText: paused });
    await pausedRow.getByText("Paused (site inactive)").waitFor();
    expect(await pausedRow.getByRole("button", { name: "Retry now" }).count()).toBe(0);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, "queue.png"), fullPage: false });

    const sent = receiver.arrivals.length;
    await row.getByRole("button", { name: "Retry now" }).click();
    await waitFor(() => receiver.arrivals.length > sent, 10_000, "the retried send");
    await waitFor(async () => (await attemptRows(app.database.db, waiting)).length === 3, 10_000, "the second attempt recorded");
    expect(await messageRow(app.database.db, waiting)).toMatchObject({ status: "resent", attempts: 2 });
    // The page re-reads by itself: the message waits ten minutes again.
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toMatch(/in (9|10) min|\d\d:\d\d:\d\d UTC/);
    expect((await messageRow(app.database.db, waiting)).nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    const [event] = await app.database.db.select().from(auditEvents).where(eq(auditEvents.action, "message.retried-now"));
    expect(event).toMatchObject({ actor: TEST_ADMIN.email, siteId, details: expect.objectContaining({ messageId: waiting, attemptNo: 2 }) });
    expect(receiver.arrivals.filter((a) => a.path.startsWith("/paused"))).toHaveLength(1);

    // The message's own page offers it too.
    await row.getByRole("link", { name: waiting }).click();
    await page.waitForURL(`**/webhooks/messages/${waiting}`);
    const before = receiver.arrivals.length;
    await page.getByRole("button", { name: "Retry now" }).click();
    await waitFor(() => receiver.arrivals.length > before, 10_000, "the send retried from the message page");
    await waitFor(async () => (await attemptRows(app.database.db, waiting)).length === 4, 10_000, "the third attempt recorded");
    expect(errors).toEqual([]);
    await page.close();
  });
});
