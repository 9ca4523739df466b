import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSiteToken } from "@/lib/oauth/site-token";
import { createSecretBox } from "@/lib/secrets";
import { selectRevealing, signedInContext, watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { insertCustomer, waitUntilFinished } from "../helpers/delivery-fixtures";
import type { Receiver } from "../helpers/http-receiver";
import { startIntrospectingReceiver, startOAuthServer, type OAuthTestServer, type WebAppClient } from "../helpers/oauth-server";

/**
 * The OAuth 2.0 authorization-code method end to end: the built app (with its in-process delivery
 * worker), a real OAuth server (oidc-provider) whose login and consent screens the browser goes
 * through, and a receiver that accepts a webhook only with a bearer token the provider says is active.
 */

/** The server's encryption key, so that the test can read the tokens the app stored. */
const encryptionKey = randomBytes(32);
const box = createSecretBox(encryptionKey);
/** Set SCREENSHOT_DIR (e.g. docs/screenshots) to save the connected site page. */
const screenshotDir = process.env.SCREENSHOT_DIR;

let app: BrowserApp;
let oauth: OAuthTestServer;
let receiver: Receiver;
let apiToken: string;
let customerId: string;
/** Every token and consumer secret the tests saw, to check the server's log for them. */
const secretsSeen: string[] = [];

beforeAll(async () => {
  oauth = await startOAuthServer({ accessTokenTtl: 600 });
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    // The provider and the receiver listen on loopback: the app's guarded fetch must be allowed to reach them.
    ALLOW_PRIVATE_TARGETS: "127.0.0.0/8",
    WEBHOOK_RETRY_INTERVAL_MS: "500",
  });
  // The Webhook message node's caller authenticates with an API token.
  const created = await app.context.request.post("/api/api-tokens", { data: { name: "workflow engine" }, headers: { origin: app.server.url } });
  expect(created.status()).toBe(201);
  apiToken = (await created.json()).token;
  customerId = await insertCustomer(app.database.db);
  // A receiver that accepts a webhook only with a bearer token its OAuth provider says is active.
  receiver = await startIntrospectingReceiver(oauth);
});
afterAll(async () => {
  await receiver?.close();
  await app?.close();
  await oauth?.close();
});

/**
 * What an operator does: register an app at the provider, create the site with its consumer key and
 * secret, then register the site's Redirect URL (shown on the site page) with the provider.
 */
async function createOAuthSite(page: Page, name: string, url = "https://receiver.example.com/hooks"): Promise<{ siteId: string; client: WebAppClient; redirectUrl: string }> {
  const client = await oauth.registerWebAppClient(["http://127.0.0.1/registered-later"]);
  await page.goto("/trusted-sites/new");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("URL", { exact: true }).fill(url);
  await page.getByLabel("Number of asynchronous threads").fill("10");
  const fields = page.getByTestId("fields-oauth2");
  await selectRevealing(page.getByLabel("Authentication method"), "oauth2", fields);
  await fields.getByLabel("Consumer key", { exact: true }).fill(client.clientId);
  await fields.getByLabel("Consumer secret", { exact: true }).fill(client.clientSecret);
  await fields.getByLabel("Authorization URL", { exact: true }).fill(oauth.authorizationUrl);
  await fields.getByLabel("Token URL", { exact: true }).fill(oauth.tokenUrl);
  await fields.getByLabel("Scope (optional)", { exact: true }).fill("openid offline_access api:write");
  await page.getByRole("button", { name: "Save as draft" }).click();
  await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
  const siteId = page.url().split("/").pop()!;

  const redirectUrl = (await page.getByTestId("redirect-url").textContent())!;
  expect(redirectUrl).toBe(`${app.server.url}/api/trusted-sites/${siteId}/oauth/callback`);
  await oauth.registerWebAppClient([redirectUrl], client);
  return { siteId, client, redirectUrl };
}

const status = (page: Page) => page.getByTestId("oauth-connection-status");
/**
 * The connection status once it is on screen. A streamed page keeps its content hidden until it is
 * complete, and role queries (the buttons) only see what is visible.
 */
async function shownStatus(page: Page): Promise<string> {
  await status(page).waitFor({ state: "visible" });
  return (await status(page).textContent()) ?? "";
}
/** "Connect" before the first connection, "Re-connect" from then on. */
const connectLink = (page: Page) => page.getByRole("link", { name: /^(Connect|Re-connect)$/ });
const refreshButton = (page: Page) => page.getByRole("button", { name: "Refresh now", exact: true });

async function rawAuthParams(siteId: string): Promise<string> {
  const [raw] = await app.database.sql<{ auth_params: string }[]>`select auth_params::text from trusted_sites where id = ${siteId}`;
  return raw!.auth_params;
}

/** The Webhook message node's trigger, as a workflow sends it: POST /api/webhooks/messages with an API token. */
async function trigger(siteId: string, points: number): Promise<string> {
  const response = await fetch(`${app.server.url}/api/webhooks/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
    body: JSON.stringify({ siteId, customerId, action: "points.earned", payload: { points } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** Triggers a webhook, waits until the app's worker delivered it, and returns the bearer token the receiver accepted. */
async function deliverWebhook(siteId: string): Promise<string> {
  const id = await trigger(siteId, 5);
  expect(await waitUntilFinished(app.database.db, id, 20_000)).toMatchObject({ status: "done", attempts: 1 });
  const { request, decision } = receiver.decisions.find((d) => d.request.headers["webhook-id"] === id)!;
  expect(decision).toEqual({ accepted: true, reason: "token for user-1" });
  return request.headers.authorization!.slice("Bearer ".length);
}

async function expireAccessToken(siteId: string) {
  await app.database.sql`update trusted_sites set auth_params = auth_params || jsonb_build_object('expires_at', ${new Date(Date.now() - 60_000).toISOString()}::text) where id = ${siteId}`;
}

/** Presses Connect and records every page the browser goes through until it is back on the site page. */
async function pressConnect(page: Page, siteId: string, atProvider: (page: Page) => Promise<void>): Promise<URL[]> {
  const visited: URL[] = [];
  const record = (request: { isNavigationRequest(): boolean; url(): string; frame(): unknown }) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) visited.push(new URL(request.url()));
  };
  page.on("request", record);
  await connectLink(page).click();
  await atProvider(page);
  await page.waitForURL(new RegExp(`/(trusted-sites/${siteId}|oauth-result\\?.*)$`));
  page.off("request", record);
  return visited;
}

/** The test provider's login form, then its consent form. */
async function signInAndAllow(page: Page) {
  await page.getByRole("heading", { name: "Sign in to the test provider" }).waitFor();
  await page.getByLabel("Account").fill("user-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await allow(page);
}

/** The consent form alone (the user is still signed in at the provider); it asks for the site's scopes. */
async function allow(page: Page) {
  await page.getByRole("heading", { name: /^Allow .* to access your account\?$/ }).waitFor();
  expect(await page.getByRole("listitem").allTextContents()).toEqual(["openid", "offline_access", "api:write"]);
  await page.getByRole("button", { name: "Allow" }).click();
}

describe("connecting an OAuth 2.0 (authorization code) site", () => {
  it("connects through the provider's login and consent, delivers with the token, and refreshes the expired access token", async () => {
    const page = await app.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    const errors = watchForErrors(page);
    const { siteId, client, redirectUrl } = await createOAuthSite(page, "Loyalty OAuth receiver", `${receiver.url}/hooks`);

    expect(await shownStatus(page)).toMatch(/^Never connected/);
    expect(await connectLink(page).count()).toBe(1);
    expect(await refreshButton(page).count()).toBe(0);

    await page.getByRole("button", { name: "Set active" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Set active" }).click();
    await page.getByRole("button", { name: "Set inactive" }).waitFor();

    // To the provider, through its login and consent screens, and back through the callback.
    const visited = await pressConnect(page, siteId, signInAndAllow);
    expect(page.url()).toBe(`${app.server.url}/trusted-sites/${siteId}`);
    const where = (url: URL) => `${url.origin}${url.pathname}`;
    expect(visited.map(where)).toEqual([
      `${app.server.url}/api/trusted-sites/${siteId}/oauth/connect`,
      `${oauth.issuer}/auth`,
      expect.stringMatching(new RegExp(`^${oauth.issuer}/interaction/[\\w-]+$`)),
      expect.stringMatching(new RegExp(`^${oauth.issuer}/interaction/[\\w-]+/login$`)),
      expect.stringMatching(new RegExp(`^${oauth.issuer}/auth/[\\w-]+$`)),
      expect.stringMatching(new RegExp(`^${oauth.issuer}/interaction/[\\w-]+$`)),
      expect.stringMatching(new RegExp(`^${oauth.issuer}/interaction/[\\w-]+/confirm$`)),
      expect.stringMatching(new RegExp(`^${oauth.issuer}/auth/[\\w-]+$`)),
      redirectUrl,
      `${app.server.url}/trusted-sites/${siteId}`,
    ]);
    // The app asked the provider to come back to the Redirect URL shown on the page, and it did.
    const authorizationRequest = visited[1]!;
    expect(authorizationRequest.searchParams.get("redirect_uri")).toBe(redirectUrl);
    expect(authorizationRequest.searchParams.get("client_id")).toBe(client.clientId);
    const callback = visited[8]!;
    expect(callback.searchParams.get("state")).toBe(authorizationRequest.searchParams.get("state"));
    expect(callback.searchParams.get("code")).toBeTruthy();

    await expect.poll(() => shownStatus(page), { timeout: 10_000 }).toMatch(/^Connected until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; renewed automatically/);
    // Connected: Refresh now and Re-connect stay on offer.
    expect(await page.getByRole("link", { name: "Re-connect", exact: true }).count()).toBe(1);
    expect(await refreshButton(page).count()).toBe(1);
    expect(await page.getByRole("row", { name: /Connected the site to its OAuth provider/ }).textContent()).toContain("operator@example.com");
    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, "site-oauth-connected.png") });
    }

    const connected = (await readSiteToken(app.database.db, box, siteId))!;
    expect(await oauth.introspect(connected.accessToken)).toMatchObject({ active: true, client_id: client.clientId, sub: "user-1" });
    expect(connected.refreshToken).toBeTruthy();
    // The page says until when, and it is the token's expiry.
    expect(await shownStatus(page)).toContain(connected.expiresAt.toISOString().slice(0, 19).replace("T", " "));
    oauth.resetTokenRequests();
    expect(await deliverWebhook(siteId)).toBe(connected.accessToken);
    expect(oauth.tokenRequests()).toBe(0);
    const html = await page.content();
    for (const secret of [connected.accessToken, connected.refreshToken!, client.clientSecret]) {
      expect(await rawAuthParams(siteId)).not.toContain(secret);
      expect(html).not.toContain(secret);
    }

    // The access token expires: the page offers Refresh (and Connect), and Refresh gets new tokens.
    await expireAccessToken(siteId);
    // Until the page's scripts have loaded, a click on Refresh would do nothing.
    await page.reload({ waitUntil: "networkidle" });
    expect(await shownStatus(page)).toMatch(/^Expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. Refresh the access token, or connect again\.$/);
    expect(await refreshButton(page).count()).toBe(1);
    expect(await connectLink(page).count()).toBe(1);
    oauth.resetTokenRequests();
    await refreshButton(page).click();
    // The refresh calls the provider and re-renders the page: give a loaded machine more than the 1 s default.
    await expect.poll(() => shownStatus(page), { timeout: 10_000 }).toMatch(/^Connected until/);
    expect(oauth.tokenRequests()).toBe(1);
    const refreshed = (await readSiteToken(app.database.db, box, siteId))!;
    expect(refreshed.accessToken).not.toBe(connected.accessToken);
    expect(refreshed.refreshToken).not.toBe(connected.refreshToken);
    expect((await oauth.introspect(refreshed.accessToken)).active).toBe(true);
    expect(refreshed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    // Deliveries use the refreshed token as it is: no token request of their own.
    expect(await deliverWebhook(siteId)).toBe(refreshed.accessToken);
    expect(oauth.tokenRequests()).toBe(1);

    // Expired again, and ten webhooks waiting: the deliveries refresh once for all of them.
    await expireAccessToken(siteId);
    oauth.resetTokenRequests();
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => trigger(siteId, i)));
    for (const id of ids) expect(await waitUntilFinished(app.database.db, id, 30_000)).toMatchObject({ status: "done", attempts: 1 });
    expect(oauth.tokenRequests()).toBe(1);
    const renewed = (await readSiteToken(app.database.db, box, siteId))!;
    expect(renewed.accessToken).not.toBe(refreshed.accessToken);
    secretsSeen.push(client.clientSecret, connected.accessToken, connected.refreshToken!, refreshed.accessToken, refreshed.refreshToken!, renewed.accessToken);
    const sentWith = new Set(receiver.decisions.filter((d) => ids.includes(d.request.headers["webhook-id"]!)).map((d) => d.request.headers.authorization));
    expect(sentWith).toEqual(new Set([`Bearer ${renewed.accessToken}`]));
    await page.reload();
    expect(await shownStatus(page)).toMatch(/^Connected until/);

    // Without a refresh token, only Connect helps.
    await app.database.sql`update trusted_sites set auth_params = auth_params - 'refresh_token' where id = ${siteId}`;
    await expireAccessToken(siteId);
    // Until the page's scripts have loaded, a click on Refresh would do nothing.
    await page.reload({ waitUntil: "networkidle" });
    expect(await shownStatus(page)).toMatch(/There is no refresh token: press Connect\.$/);
    expect(await refreshButton(page).count()).toBe(0);
    expect(await connectLink(page).count()).toBe(1);

    // Connecting again works from there (still signed in at the provider, which asks for consent
    // again), and gives a refresh token again.
    oauth.resetTokenRequests();
    await pressConnect(page, siteId, allow);
    // The refresh calls the provider and re-renders the page: give a loaded machine more than the 1 s default.
    await expect.poll(() => shownStatus(page), { timeout: 10_000 }).toMatch(/^Connected until/);
    expect(oauth.tokenRequests()).toBe(1);
    expect((await readSiteToken(app.database.db, box, siteId))!.refreshToken).toBeTruthy();

    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
    await page.close();
  });

  it("shows a declined consent, or a callback that matches no Connect, in plain words with a link back, storing nothing", async () => {
    // A new browser session: not signed in at the provider yet.
    const session = await signedInContext(app.browser, app.server.url);
    const page = await session.newPage();
    const { siteId } = await createOAuthSite(page, "Declining OAuth receiver");

    // The user signs in at the provider and presses Deny: the provider answers error=access_denied.
    oauth.resetTokenRequests();
    const visited = await pressConnect(page, siteId, async (provider) => {
      await provider.getByRole("button", { name: "Sign in" }).click();
      await provider.getByRole("button", { name: "Deny" }).click();
    });
    const callback = visited.find((url) => url.pathname.endsWith("/oauth/callback"))!;
    expect(callback.searchParams.get("error")).toBe("access_denied");
    await page.getByRole("heading", { name: "Access was declined" }).waitFor();
    const declined = (await page.getByTestId("oauth-result").textContent())!;
    expect(declined).toContain("Access was declined at the OAuth provider");
    expect(declined).toContain("access_denied");
    expect(declined).toContain("Nothing was stored.");
    expect(oauth.tokenRequests()).toBe(0);

    // Replaying that answer (the browser's back button, a bookmarked URL): the state was used up.
    await page.goto(callback.href);
    await page.getByRole("heading", { name: "The site was not connected" }).waitFor();
    expect(await page.getByTestId("oauth-result").textContent()).toContain("does not match any Connect in progress");

    await page.goto(`/api/trusted-sites/${siteId}/oauth/callback?code=some-code&state=not-a-state-we-issued`);
    await page.waitForURL(/\/oauth-result\?/);
    await page.getByRole("heading", { name: "The site was not connected" }).waitFor();
    expect(await page.getByTestId("oauth-result").textContent()).toContain("does not match any Connect in progress");

    await page.getByRole("link", { name: "Back to the site" }).click();
    await page.waitForURL(`${app.server.url}/trusted-sites/${siteId}`);
    expect(await shownStatus(page)).toMatch(/^Never connected/);
    expect(await readSiteToken(app.database.db, box, siteId)).toBeNull();
    expect(oauth.tokenRequests()).toBe(0);
    await session.close();
  });

  it("Connect and Refresh need a signed-in user; the callback needs only its state", async () => {
    const siteId = "00000000-0000-4000-8000-000000000000";
    expect((await fetch(`${app.server.url}/api/trusted-sites/${siteId}/oauth/connect`, { redirect: "manual" })).status).toBe(401);
    expect((await fetch(`${app.server.url}/api/trusted-sites/${siteId}/oauth/refresh`, { method: "POST" })).status).toBe(401);
    const callback = await fetch(`${app.server.url}/api/trusted-sites/${siteId}/oauth/callback?code=c&state=s`, { redirect: "manual" });
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe(`${app.server.url}/oauth-result?problem=unknown_state&site=${siteId}`);
  });

  it("never wrote a token or a consumer secret to the server's log", () => {
    expect(secretsSeen.length).toBeGreaterThan(0);
    const log = app.server.output();
    for (const secret of secretsSeen) expect(log).not.toContain(secret);
  });
});
