import { mkdirSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { rebuildAttemptMinutes } from "../helpers/attempt-minutes";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { insertCustomer } from "../helpers/delivery-fixtures";

/** Set SCREENSHOT_DIR (e.g. docs/screenshots) to save the site page and the list. */
const screenshotDir = process.env.SCREENSHOT_DIR;

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
});
afterAll(() => app?.close());

async function insertSite(name: string) {
  const [site] = await app.database.db
    .insert(trustedSites)
    .values({ name, url: `https://${name.toLowerCase().replaceAll(" ", "-")}.example/hooks`, authMethod: "none", status: "active" })
    .returning({ id: trustedSites.id });
  return site!.id;
}

/**
 * A day of finished attempts, one message each: `perTenMinutes` every ten minutes over the last 24
 * hours, durations spread around `ms`; in the hours `failingHours` ago (0 = the last hour) every
 * third attempt answered 503 and failed.
 */
async function insertDay(siteId: string, customerId: string, perTenMinutes: number, ms: number, failingHours: number[]) {
  await app.database.db.execute(sql`
    with plan as (
      select clock_timestamp() - (slot * interval '10 minutes') - (k * interval '7 seconds') as at, slot, k,
        ${ms}::int / 2 + ((slot * 37 + k * 101) % ${ms}::int) as duration_ms,
        (slot / 6)::int = any(${`{${failingHours.join(",")}}`}::int[]) and k % 3 = 0 as failed
      from generate_series(0, 143) slot, generate_series(1, ${perTenMinutes}::int) k
    ), m as (
      insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts, created_at, finished_at)
      select ${siteId}, ${customerId}, 'order.placed', '{}', md5(slot || '-' || k), case when failed then 'failed' else 'done' end::delivery_status,
        1, at, at
      from plan
      returning id, created_at, status
    )
    insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at, started_at, finished_at, response_code, duration_ms, error)
    select m.id, ${siteId}, ${customerId}, 'order.placed', 1, m.status, m.created_at, m.created_at, m.created_at, m.created_at + p.duration_ms * interval '1 ms',
      case when p.failed then 503 else 200 end, p.duration_ms, case when p.failed then 'the receiver answered 503' end
    from m join plan p on p.at = m.created_at`);
}

describe("site health", () => {
  it("shows the last hour and day, the hourly chart and the last failure on the site page, and a sparkline per site in the list", async () => {
    const customerId = await insertCustomer(app.database.db);
    const billing = await insertSite("Billing API");
    const crm = await insertSite("CRM Sync");
    const quiet = await insertSite("Quiet Receiver");
    await insertDay(billing, customerId, 6, 120, [4, 5]);
    await insertDay(crm, customerId, 3, 40, [0]);
    await rebuildAttemptMinutes(app.database.db, [billing, crm, quiet]);
    const counts = async (siteId: string, hours: number) => {
      const [row] = await app.database.db.execute<{ done: number; failed: number }>(sql`
        select count(*) filter (where status = 'done')::int as done, count(*) filter (where status <> 'done')::int as failed
        from webhook_attempts where site_id = ${siteId} and created_at > now() - ${`${hours} hours`}::interval`);
      return row!;
    };

    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.goto(`/trusted-sites/${crm}`);
    const panel = page.getByRole("region", { name: "Delivery health" });
    await panel.waitFor();
    // CRM Sync: 18 attempts an hour, every third of the last hour's failed (6 of 18).
    const lastHour = (await panel.getByTestId("health-last-hour").textContent())!;
    expect(lastHour).toContain("66.6 % of 18");
    expect(lastHour).toMatch(/Duration p50\d+(\.\d)? ms/);
    const day = await counts(crm, 24);
    const dayText = (await panel.getByTestId("health-last-24-hours").textContent())!;
    expect(dayText).toContain(`of ${day.done + day.failed}`);
    expect(await panel.getByTestId("last-failure").textContent()).toMatch(/UTC · HTTP 503 · attempt 1$/);
    // The chart: 24 hourly bars of succeeded attempts, failed ones in the last hour only.
    const chart = panel.getByRole("img", { name: "Attempts per hour, last 24 hours" });
    await expect.poll(() => chart.locator(".recharts-bar-rectangle").count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(25);
    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await panel.screenshot({ path: path.join(screenshotDir, "site-health.png") });
    }

    await page.goto(`/trusted-sites/${quiet}`);
    await panel.waitFor();
    expect(await panel.getByTestId("health-last-hour").textContent()).toContain("Succeeded—");
    expect(await panel.getByTestId("last-failure").textContent()).toBe("No failed attempt");

    await page.setViewportSize({ width: 1280, height: 480 });
    await page.goto("/trusted-sites");
    const row = (name: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
    for (const [name, siteId] of [["Billing API", billing], ["CRM Sync", crm]] as const) {
      const { done, failed } = await counts(siteId, 24);
      expect(await row(name).getByTestId("sparkline").textContent()).toBe(`${done.toLocaleString("en")} succeeded, ${failed.toLocaleString("en")} failed`);
      await expect.poll(() => row(name).getByTestId("sparkline").locator(".recharts-bar-rectangle").count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(24);
    }
    expect(await row("Quiet Receiver").getByTestId("sparkline").textContent()).toBe("No attempts");
    if (screenshotDir) await page.locator("main").screenshot({ path: path.join(screenshotDir, "sites-sparklines.png") });
    expect(errors).toEqual([]);
  }, 60_000);
});
