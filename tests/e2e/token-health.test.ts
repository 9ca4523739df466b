import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSiteToken, writeSiteToken } from "@/lib/oauth/site-token";
import { createSecretBox } from "@/lib/secrets";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { insertCustomer, insertSite, waitUntilFinished } from "../helpers/delivery-fixtures";
import { startReceiver, type Receiver } from "../helpers/http-receiver";
import { startIntrospectingReceiver, startOAuthServer, type OAuthTestServer } from "../helpers/oauth-server";

/**
 * Issue 14 in the browser: the token health panel of an OAuth site (Refresh now renews "valid
 * until"; a refused refresh shows "Needs re-authorisation", also in the sites list), and times
 * shown in UTC or the browser's zone, switched in the navigation, the Logs filters read in it.
 */

const encryptionKey = randomBytes(32);
const box = createSecretBox(encryptionKey);
const screenshotDir = process.env.SCREENSHOT_DIR;
const NEW_YORK = "America/New_York";

let app: BrowserApp;
let oauth: OAuthTestServer;
let receiver: Receiver;
let plainReceiver: Receiver;
let customerId: string;

beforeAll(async () => {
  oauth = await startOAuthServer({ accessTokenTtl: 600 });
  // The browser lives in New York; the app shows UTC until the operator picks local times.
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.0/8",
  }, { timezoneId: NEW_YORK });
  customerId = await insertCustomer(app.database.db);
  receiver = await startIntrospectingReceiver(oauth);
  plainReceiver = await startReceiver(() => ({ accepted: true, reason: "ok" }));
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await plainReceiver?.close();
  await oauth?.close();
});

const utc = (date: Date) => `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
/** The same instant on a New York clock, written independently of the app's formatter. */
function newYork(date: Date): string {
  const wall = date.toLocaleString("sv-SE", { timeZone: NEW_YORK, hourCycle: "h23" });
  const offset = new Intl.DateTimeFormat("en-US", { timeZone: NEW_YORK, timeZoneName: "longOffset" }).formatToParts(date).find((p) => p.type === "timeZoneName")!.value;
  return `${wall} ${offset.replace("GMT", "")}`;
}

async function oauth2Site(name: string, refreshToken: string) {
  const { clientId, clientSecret } = oauth.clients.webApp;
  const siteId = await insertSite(app.database.db, {
    url: `${receiver.url}/hooks`,
    box,
    authMethod: "oauth2",
    authParams: { consumerKey: clientId, consumerSecret: clientSecret, authorizationUrl: oauth.authorizationUrl, tokenUrl: oauth.tokenUrl, scope: "openid offline_access" },
  });
  await app.database.sql`update trusted_sites set name = ${name} where id = ${siteId}`;
  await writeSiteToken(app.database.db, box, siteId, { accessToken: "expired-access-token", refreshToken, expiresAt: new Date(Date.now() - 60_000) }, new Date(Date.now() - 3_660_000));
  return siteId;
}

/** The Webhook message node's trigger, sent with the signed-in session. */
async function trigger(data: Record<string, unknown>): Promise<{ status: number; body: { id: string } }> {
  const response = await app.context.request.post("/api/webhooks/messages", { data, headers: { origin: app.server.url } });
  return { status: response.status(), body: await response.json() };
}

const panel = (page: Page) => page.getByTestId("token-health");
const refreshNow = (page: Page) => panel(page).getByRole("button", { name: "Refresh now", exact: true });
async function openSite(page: Page, siteId: string) {
  // Until the page's scripts have loaded, a click on Refresh now would do nothing.
  await page.goto(`/trusted-sites/${siteId}`, { waitUntil: "networkidle" });
  await panel(page).waitFor();
}

describe("token health on an OAuth site", () => {
  it("Refresh now renews the token and the page says until when; a refused refresh says it needs re-authorisation", async () => {
    const page = await app.context.newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    const errors = watchForErrors(page);
    const siteId = await oauth2Site("Loyalty CRM (OAuth)", await oauth.issueRefreshToken());

    await openSite(page, siteId);
    expect(await page.getByTestId("token-valid-until").textContent()).toMatch(/^expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ min ago\)$/);
    expect(await page.getByTestId("token-last-refresh").textContent()).toBe("—");
    expect(await page.getByRole("link", { name: "Re-connect", exact: true }).count()).toBe(1);

    await refreshNow(page).click();
    await page.getByText(/^New access token, valid until/).waitFor({ timeout: 10_000 });
    const renewed = (await readSiteToken(app.database.db, box, siteId))!;
    expect(renewed.accessToken).not.toBe("expired-access-token");
    await expect.poll(() => page.getByTestId("token-valid-until").textContent(), { timeout: 10_000 }).toBe(`valid until ${utc(renewed.expiresAt)} (in 10 min)`);
    expect(await page.getByTestId("token-last-refresh").textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((just now|\d+ s ago)\)$/);
    expect(await page.getByTestId("token-refusal").count()).toBe(0);
    expect(await page.getByRole("row", { name: /Refreshed the access token/ }).textContent()).toContain("operator@example.com");

    // The provider revokes the grant: the next refresh is refused with invalid_grant.
    const revoked = "a-refresh-token-the-provider-revoked";
    await app.database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('refresh_token', ${box.encrypt(revoked)}::text, 'expires_at', ${new Date(Date.now() - 1000).toISOString()}::text) where id = ${siteId}`;
    await app.database.sql`update trusted_sites set status = 'active' where id = ${siteId}`;
    // A message waiting on the site: its attempts fail until it is re-connected.
    const created = await trigger({ siteId, customerId, action: "points.earned", payload: { points: 5 } });
    expect(created.status).toBe(202);

    await openSite(page, siteId);
    await refreshNow(page).click();
    const banner = page.getByTestId("token-refusal");
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/^Needs re-authorisation.*refuses the refresh token \(invalid_grant\)\. Press Re-connect/);
    expect(await page.getByTestId("token-refusal-waiting").textContent()).toBe("1 message is waiting: its attempts fail until the site is re-connected.");
    expect(await page.getByTestId("token-last-error").textContent()).toMatch(/token endpoint answered 400 invalid_grant/);
    expect(await page.getByTestId("token-last-error").textContent()).not.toContain(revoked);
    await page.getByText("The access token was not refreshed", { exact: true }).waitFor();
    // The token it had is still said to have expired, not lost.
    expect(await page.getByTestId("token-valid-until").textContent()).toMatch(/^expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await openSite(page, siteId);
      await page.screenshot({ path: path.join(screenshotDir, "token-health.png") });
    }

    // The sites list says so beside the site's status.
    await page.goto("/trusted-sites");
    const row = page.getByRole("row", { name: /Loyalty CRM \(OAuth\)/ });
    expect(await row.getByTestId("site-token-problem").textContent()).toBe("Needs re-authorisation");

    expect(errors.filter((e) => !e.includes("favicon") && !e.includes("502"))).toEqual([]);
    await page.close();
  });
});

describe("times in UTC or local time", () => {
  it("shows a known attempt time in UTC, then in the browser's zone everywhere, and reads the Logs filters in it", async () => {
    const page = await app.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const errors = watchForErrors(page);
    const siteId = await insertSite(app.database.db, { url: `${plainReceiver.url}/hooks` });
    await app.database.sql`update trusted_sites set name = 'Points ledger' where id = ${siteId}`;
    const created = await trigger({ siteId, customerId, action: "tier.changed", payload: { tier: "gold" } });
    expect(created.status).toBe(202);
    const messageId = created.body.id;
    await waitUntilFinished(app.database.db, messageId, 15_000);
    // A known time: yesterday at a whole second.
    const sentAt = new Date(Math.floor((Date.now() - 86_400_000) / 1000) * 1000);
    await app.database.sql`update webhook_attempts set started_at = ${sentAt.toISOString()}::timestamptz, created_at = ${sentAt.toISOString()}::timestamptz where message_id = ${messageId}`;
    // No attempt is older than its message (the reads bound attempts by their message's creation): it moves too.
    await app.database.sql`update webhook_messages set created_at = ${sentAt.toISOString()}::timestamptz where id = ${messageId}`;

    await page.goto("/webhooks/logs", { waitUntil: "networkidle" });
    const row = page.getByRole("row", { name: /tier\.changed/ });
    expect(await row.textContent()).toContain(utc(sentAt));
    expect(await page.getByRole("radio", { name: "UTC" }).getAttribute("aria-checked")).toBe("true");
    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, "logs-utc.png") });
    }

    await page.getByRole("radio", { name: "Local" }).click();
    await expect.poll(() => row.textContent(), { timeout: 5_000 }).toContain(newYork(sentAt));
    expect(await page.getByTestId("time-zone-name").textContent()).toBe(NEW_YORK);
    expect(await page.getByText("From (local time)").count()).toBe(1);

    // Kept across pages and reloads, rendered so by the server (no hydration mismatch).
    await page.reload({ waitUntil: "networkidle" });
    expect(await page.getByRole("radio", { name: "Local" }).getAttribute("aria-checked")).toBe("true");
    expect(await page.getByRole("row", { name: /tier\.changed/ }).textContent()).toContain(newYork(sentAt));
    await page.goto(`/webhooks/messages/${messageId}`, { waitUntil: "networkidle" });
    expect(await page.locator("main").textContent()).toContain(newYork(sentAt));

    // From and To are New York wall-clock times: a minute either side of the attempt finds it.
    await page.goto("/webhooks/logs", { waitUntil: "networkidle" });
    const wall = (date: Date) => date.toLocaleString("sv-SE", { timeZone: NEW_YORK, hourCycle: "h23" }).slice(0, 16).replace(" ", "T");
    await page.getByLabel("From (local time)").fill(wall(new Date(sentAt.getTime() - 60_000)));
    await page.getByLabel("To (local time)").fill(wall(new Date(sentAt.getTime() + 120_000)));
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/from=/);
    const query = new URL(page.url()).searchParams;
    const minute = Math.floor(sentAt.getTime() / 60_000) * 60_000;
    expect(query.get("from")).toBe(new Date(minute - 60_000).toISOString().replace(".000Z", "Z"));
    expect(query.get("to")).toBe(new Date(minute + 120_000).toISOString().replace(".000Z", "Z"));
    await page.getByRole("row", { name: /tier\.changed/ }).waitFor();
    // The inputs show back what was typed; the chart's range is in local time too.
    expect(await page.getByLabel("From (local time)").inputValue()).toBe(wall(new Date(sentAt.getTime() - 60_000)));
    await page.getByRole("region", { name: "Attempts over time" }).getByText(/-0[45]:00 – /).waitFor({ timeout: 10_000 });

    // Back to UTC: the same row, the UTC time.
    await page.getByRole("radio", { name: "UTC" }).click();
    await expect.poll(() => page.getByRole("row", { name: /tier\.changed/ }).textContent(), { timeout: 5_000 }).toContain(utc(sentAt));
    expect(await page.getByLabel("From (UTC)").inputValue()).toBe(new Date(minute - 60_000).toISOString().slice(0, 16));

    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
    await page.close();
  });
});
