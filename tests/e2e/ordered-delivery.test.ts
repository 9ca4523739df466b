import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { insertCustomer } from "../helpers/delivery-fixtures";

const screenshotDir = process.env.SCREENSHOT_DIR;
let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
});
afterAll(() => app?.close());

describe("deliver in order per customer", () => {
  it("is set with the site form's checkbox, shown on the site page, and the Queue says which message waits", async () => {
    const [site] = await app.database.db
      .insert(trustedSites)
      .values({ name: "Loyalty receiver", url: "https://loyalty.example.com/hooks", authMethod: "none" })
      .returning();
    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`/trusted-sites/${site!.id}`);
    await page.getByText("Any order").waitFor();

    await page.goto(`/trusted-sites/${site!.id}/edit`);
    const order = page.getByRole("checkbox", { name: "Deliver in order per customer" });
    expect(await order.isChecked()).toBe(false);
    await order.check();
    if (screenshotDir) {
      const block = page.locator("section", { has: page.getByRole("heading", { name: "Message order" }) });
      await block.screenshot({ path: path.join(screenshotDir, "site-form-message-order.png") });
    }
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("In order per customer").waitFor();
    const [saved] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.id, site!.id));
    expect(saved!.orderedPerCustomer).toBe(true);

    // Two messages for one customer: the second waits for the first, which this receiver never takes.
    await app.database.db.update(trustedSites).set({ status: "active" }).where(eq(trustedSites.id, site!.id));
    const customerId = await insertCustomer(app.database.db);
    const first = await enqueue(app.database.db, { siteId: site!.id, customerId, action: "point_add", payload: { points: 5 } });
    const second = await enqueue(app.database.db, { siteId: site!.id, customerId, action: "point_redeem", payload: { points: 5 } });
    await page.goto("/webhooks/queue");
    const row = (id: string) => page.getByTestId("queue-row").filter({ hasText: id });
    await row(second.id).getByText("Waiting for an earlier message").waitFor();
    expect(await row(first.id).textContent()).not.toContain("Waiting for an earlier message");

    // Edited back off, the site page says so.
    await page.goto(`/trusted-sites/${site!.id}/edit`);
    await page.getByRole("checkbox", { name: "Deliver in order per customer" }).uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("Any order").waitFor();
    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
    await page.close();
  });
});
