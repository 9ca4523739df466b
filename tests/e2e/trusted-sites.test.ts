import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { methodChoices, type MethodChoice } from "@/lib/trusted-sites/method-choices";
import { authMethodFixtures } from "../helpers/auth-fixtures";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { makeTestPki } from "../helpers/tls-certificates";

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
});
afterAll(() => app?.close());

/** Types a method's parameters into the form the way a user would, field by field. */
async function fillMethodFields(page: Page, method: MethodChoice, params: Record<string, unknown>) {
  const fields = page.getByTestId(`fields-${method.method}`);
  for (const field of method.fields) {
    const value = params[field.name];
    if (value === undefined) continue;
    const label = field.required ? field.label : `${field.label} (optional)`;
    if (field.kind === "key-values") {
      for (const [i, [key, v]] of Object.entries(value as Record<string, unknown>).entries()) {
        await fields.getByRole("button", { name: `Add ${field.label.toLowerCase()} entry` }).click();
        await fields.getByLabel(`${field.label} key ${i + 1}`).fill(key);
        await fields.getByLabel(`${field.label} value ${i + 1}`).fill(typeof v === "string" ? v : JSON.stringify(v));
      }
    } else if (field.kind === "select") {
      await fields.getByLabel(label, { exact: true }).selectOption(String(value));
    } else {
      await fields.getByLabel(label, { exact: true }).fill(String(value));
    }
  }
}

async function openNewSiteForm() {
  const page = await app.context.newPage();
  const errors = watchForErrors(page);
  await page.goto("/trusted-sites");
  await page.getByRole("link", { name: "Add new site" }).click();
  await page.waitForURL("**/trusted-sites/new");
  await page.getByRole("heading", { name: "Add new site" }).waitFor();
  return { page, errors };
}

const fieldError = (page: Page, text: string | RegExp) => page.getByText(text).first();

describe("adding sites through the form", () => {
  it.each(methodChoices().map((m) => [m.method, m] as const))("creates a %s site as a draft", async (method, choice) => {
    const { page, errors } = await openNewSiteForm();
    await page.getByLabel("Name").fill(`Receiver with ${method}`);
    await page.getByLabel("URL", { exact: true }).fill("https://receiver.example.com/hooks");
    await page.getByLabel("Authentication method").selectOption(method);
    await fillMethodFields(page, choice, authMethodFixtures[method].valid);
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(`Receiver with ${method}`);
    expect(await page.getByText("draft", { exact: true }).count()).toBeGreaterThan(0);

    const [row] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, `Receiver with ${method}`));
    expect(row).toMatchObject({ authMethod: method, status: "draft" });
    for (const secret of authMethodFixtures[method].secretValues) {
      expect(JSON.stringify(row!.authParams)).not.toContain(secret);
      expect(await page.content()).not.toContain(secret);
    }
    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
    await page.close();
  });

  it("creates a site that sends PUT with a URL-encoded body and extra headers, refusing a reserved header", async () => {
    const { page, errors } = await openNewSiteForm();
    await page.getByLabel("Name").fill("Form-encoded receiver");
    await page.getByLabel("URL", { exact: true }).fill("https://forms.example.com/hooks");
    await page.getByLabel("HTTP method").selectOption("PUT");
    await page.getByLabel("Body encoding").selectOption("form");
    // The content type follows the encoding.
    expect(await page.getByLabel("Content type").inputValue()).toBe("application/x-www-form-urlencoded");
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header name 1").fill("Webhook-Id");
    await page.getByLabel("Header value 1").fill("mine");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.getByText("This header is set by the delivery itself").waitFor();
    await page.getByLabel("Header name 1").fill("X-Tenant");
    // A second header holds an API key: marked secret, it is typed as a password and stored encrypted.
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header name 2").fill("X-Api-Key");
    await page.getByLabel("Header 2 is secret").check();
    expect(await page.getByLabel("Header value 2").getAttribute("type")).toBe("password");
    await page.getByLabel("Header value 2").fill("typed-api-key-123");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("PUT · URL-encoded form (application/x-www-form-urlencoded)").waitFor();
    await page.getByText("X-Tenant: mine").waitFor();
    await page.getByText("secret (stored encrypted)").waitFor();
    expect(await page.content()).not.toContain("typed-api-key-123");
    const [row] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "Form-encoded receiver"));
    expect(row).toMatchObject({ httpMethod: "PUT", bodyEncoding: "form", headers: [{ name: "X-Tenant", value: "mine" }, { name: "X-Api-Key", secret: true }] });
    expect(JSON.stringify(row!.headers)).not.toContain("typed-api-key-123");

    // Editing shows the secret blank, says it is stored, and a save without typing it keeps it.
    await page.getByRole("link", { name: "Edit" }).click();
    await page.waitForURL(/\/edit$/);
    expect(await page.getByLabel("Header value 2").getAttribute("placeholder")).toBe("Stored: leave blank to keep");
    expect(await page.getByLabel("Header value 2").inputValue()).toBe("");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("secret (stored encrypted)").waitFor();
    const [kept] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "Form-encoded receiver"));
    expect(kept!.headers[1]!.value).toBe(row!.headers[1]!.value);
    expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
    await page.close();
  });

  it("creates a site with a client certificate (mutual TLS), checked on save, its key kept on edit", async () => {
    const pki = makeTestPki();
    const { page, errors } = await openNewSiteForm();
    await page.getByLabel("Name").fill("mTLS receiver");
    await page.getByLabel("URL", { exact: true }).fill("https://mtls.example.com/hooks");
    await page.getByLabel("Present a client certificate (mutual TLS)").check();
    await page.getByLabel("Certificate (PEM)").fill(pki.client.certificate);
    await page.getByLabel("Private key (PEM, unencrypted)").fill(pki.strangerClient.key);
    await page.getByLabel("CA certificates to trust for the receiver (PEM, optional)").fill(pki.ca.certificate);
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.getByText("This private key does not belong to the certificate").waitFor();
    await page.getByLabel("Private key (PEM, unencrypted)").fill(pki.client.key);
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("CN=loyalty-sender, issued by CN=Test CA").waitFor();
    const keyLine = pki.client.key.split("\n")[1]!;
    expect(await page.content()).not.toContain(keyLine);
    const [row] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "mTLS receiver"));
    expect(JSON.stringify(row!.clientCertificate)).not.toContain(keyLine);

    await page.getByRole("link", { name: "Edit" }).click();
    await page.waitForURL(/\/edit$/);
    expect(await page.getByLabel("Private key (PEM, unencrypted)").getAttribute("placeholder")).toBe("•••••••• (stored)");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    await page.getByText("CN=loyalty-sender, issued by CN=Test CA").waitFor();
    const [kept] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "mTLS receiver"));
    expect(kept!.clientCertificate!.privateKey).toBe(row!.clientCertificate!.privateKey);
    expect(errors.filter((e) => !e.includes("favicon") && !e.includes("422"))).toEqual([]);
    await page.close();
  });

  it("shows field errors for bad input, from the browser and from the server", async () => {
    const { page } = await openNewSiteForm();
    await page.getByLabel("URL", { exact: true }).fill("ftp://files.example.com");
    await page.getByLabel("Maximum requests per second (global across threads)").fill("0");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await fieldError(page, "Name is required").waitFor();
    await fieldError(page, "URL must be an http:// or https:// URL").waitFor();
    await fieldError(page, "Maximum requests per second must be at least 1").waitFor();

    await page.getByLabel("Name").fill("Bad JWT");
    await page.getByLabel("URL", { exact: true }).fill("https://receiver.example.com");
    await page.getByLabel("Maximum requests per second (global across threads)").fill("5");
    await page.getByLabel("Authentication method").selectOption("jwt");
    const jwt = page.getByTestId("fields-jwt");
    await jwt.getByLabel("Algorithm", { exact: true }).selectOption("RS256");
    await jwt.getByLabel("Secret", { exact: true }).fill("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----");
    await jwt.getByLabel("Time to live", { exact: true }).fill("5 fortnights");
    await page.getByRole("button", { name: "Save as draft" }).click();
    await fieldError(page, /^For RS256, the secret/).waitFor();
    await fieldError(page, /^Time to live must be a number and a unit/).waitFor();
    expect(await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "Bad JWT"))).toEqual([]);
    await page.close();
  });

  it("reveals only what was typed in a secret field", async () => {
    const { page } = await openNewSiteForm();
    await page.getByLabel("Authentication method").selectOption("basic");
    const password = page.getByTestId("fields-basic").getByLabel("Password", { exact: true });
    await password.fill("typed-secret");
    expect(await password.getAttribute("type")).toBe("password");
    await page.getByRole("button", { name: "Show what you typed" }).click();
    expect(await password.getAttribute("type")).toBe("text");
    expect(await password.inputValue()).toBe("typed-secret");
    await page.close();
  });
});

describe("a site's life", () => {
  it("is edited without resending its secret, activated, deactivated and listed with its status", async () => {
    const { page } = await openNewSiteForm();
    await page.getByLabel("Name").fill("Lifecycle receiver");
    await page.getByLabel("URL", { exact: true }).fill("https://life.example.com/hooks");
    await page.getByLabel("Authentication method").selectOption("basic");
    await fillMethodFields(page, methodChoices().find((m) => m.method === "basic")!, { username: "shop", password: "keep-me-secret" });
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    const siteUrl = page.url();
    // Each change says it was made, in a toast that outlives the navigation.
    await page.getByText("“Lifecycle receiver” saved as a draft").waitFor();
    expect(await page.getByRole("main").getByRole("link", { name: "Logs", exact: true }).getAttribute("href")).toBe(`/webhooks/logs?siteId=${siteUrl.split("/").pop()}`);

    await page.getByRole("link", { name: "Edit" }).click();
    await page.waitForURL(/\/edit$/);
    const password = page.getByTestId("fields-basic").getByLabel("Password", { exact: true });
    expect(await password.inputValue()).toBe("");
    expect(await password.getAttribute("placeholder")).toContain("stored");
    await page.getByLabel("URL", { exact: true }).fill("https://life.example.com/v2/hooks");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(siteUrl);
    await page.getByText("“Lifecycle receiver” saved", { exact: true }).waitFor();
    await page.getByText("https://life.example.com/v2/hooks").first().waitFor();
    expect(await page.getByRole("row", { name: /Changed url/ }).count()).toBe(1);
    const [row] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.name, "Lifecycle receiver"));
    expect(JSON.stringify(row!.authParams)).toMatch(/"password":"enc:v1:/);

    await page.getByRole("button", { name: "Set active" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Set active" }).click();
    await page.getByRole("button", { name: "Set inactive" }).waitFor();
    await page.getByText("“Lifecycle receiver” is active").waitFor();
    expect(await page.getByRole("row", { name: /Set the site active/ }).textContent()).toContain("operator@example.com");

    await page.goto("/trusted-sites");
    await page.getByRole("searchbox", { name: "Search sites" }).fill("lifecycle");
    const listed = page.getByRole("row", { name: /Lifecycle receiver/ });
    expect(await listed.textContent()).toContain("active");
    expect(await page.getByRole("row").count()).toBe(2); // header + the match

    await page.getByRole("link", { name: "Lifecycle receiver" }).click();
    await page.getByRole("button", { name: "Set inactive" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Set inactive" }).click();
    await page.getByRole("button", { name: "Set active" }).waitFor();
    await page.getByText("“Lifecycle receiver” is inactive: its messages are paused").waitFor();
    await page.goto("/trusted-sites");
    expect(await page.getByRole("row", { name: /Lifecycle receiver/ }).textContent()).toContain("inactive");
    await page.close();
  });

  it("shows an OAuth site's Redirect URL, built from its id and the callback route", async () => {
    const { page } = await openNewSiteForm();
    await page.getByLabel("Name").fill("OAuth receiver");
    await page.getByLabel("URL", { exact: true }).fill("https://oauth.example.com/hooks");
    await page.getByLabel("Authentication method").selectOption("oauth2");
    await fillMethodFields(page, methodChoices().find((m) => m.method === "oauth2")!, authMethodFixtures.oauth2.valid);
    await page.getByRole("button", { name: "Save as draft" }).click();
    await page.waitForURL(/\/trusted-sites\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").pop();
    expect(await page.getByTestId("redirect-url").textContent()).toBe(`${app.server.url}/api/trusted-sites/${id}/oauth/callback`);
    await page.close();
  });
});

describe("the trusted-sites API", () => {
  async function apiToken() {
    const response = await app.context.request.post("/api/api-tokens", { data: { name: "sites api" }, headers: { origin: app.server.url } });
    return (await response.json()).token as string;
  }

  it("creates, reads (no secrets), updates, activates and deletes, with the right status codes", async () => {
    const token = await apiToken();
    const call = (method: string, path: string, body?: unknown) =>
      fetch(app.server.url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const input = {
      name: "API site",
      url: "https://api-site.example.com",
      authMethod: "basic",
      authParams: { username: "u", password: "api-secret-value" },
    };
    const created = await call("POST", "/api/trusted-sites", input);
    expect(created.status).toBe(201);
    const site = await created.json();
    expect(site).toMatchObject({ status: "draft", secretsSet: { password: true }, authParams: { username: "u" } });
    expect((await call("POST", "/api/trusted-sites", input)).status).toBe(409);

    const invalid = await call("POST", "/api/trusted-sites", { name: "", url: "nope", authMethod: "jwt", authParams: {}, rps: 0 });
    expect(invalid.status).toBe(422);
    const paths = (await invalid.json()).issues.map((i: { path: string[] }) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "url", "rps"]));

    const read = await call("GET", `/api/trusted-sites/${site.id}`);
    expect(await read.text()).not.toContain("api-secret-value");
    expect((await call("GET", "/api/trusted-sites/00000000-0000-4000-8000-000000000000")).status).toBe(404);

    const patched = await call("PATCH", `/api/trusted-sites/${site.id}`, { rps: 25 });
    expect(await patched.json()).toMatchObject({ rps: 25, secretsSet: { password: true } });
    expect((await call("POST", `/api/trusted-sites/${site.id}/status`, { status: "active" })).status).toBe(200);
    const listed = await (await call("GET", "/api/trusted-sites")).json();
    expect(listed.sites.find((s: { id: string }) => s.id === site.id)).toMatchObject({ status: "active" });
    const offered = await (await call("GET", "/api/trusted-sites?status=active")).json();
    expect(offered.sites.length).toBeGreaterThan(0);
    expect(offered.sites.every((s: { status: string }) => s.status === "active")).toBe(true);
    expect((await call("GET", "/api/trusted-sites?status=bogus")).status).toBe(422);
    expect((await call("DELETE", `/api/trusted-sites/${site.id}`)).status).toBe(204);
    expect((await call("GET", `/api/trusted-sites/${site.id}`)).status).toBe(404);
  });
});
