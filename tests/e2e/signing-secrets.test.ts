import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";

let app: BrowserApp;

beforeAll(async () => {
  app = await startBrowserApp();
});
afterAll(() => app?.close());

const HOUR = 3_600_000;

describe("signed payloads on the site page", () => {
  it("turns signing on, shows the secret once, rotates with a chosen overlap and lists both secrets with their end", async () => {
    const [site] = await app.database.db
      .insert(trustedSites)
      .values({ name: "Signed receiver", url: "https://receiver.example.com/hooks", authMethod: "none" })
      .returning();
    const page = await app.context.newPage();
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
    const [stored] = await app.database.db.select().from(trustedSites).where(eq(trustedSites.id, site!.id));
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

describe("the signing-secrets API", () => {
  it("turns signing on, rotates and turns it off with the right status codes, never answering a secret twice", async () => {
    const tokenResponse = await app.context.request.post("/api/api-tokens", { data: { name: "signing api" }, headers: { origin: app.server.url } });
    const token = (await tokenResponse.json()).token as string;
    const call = (method: string, path: string, body?: unknown, auth = true) =>
      fetch(app.server.url + path, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const [site] = await app.database.db
      .insert(trustedSites)
      .values({ name: "Signed by API", url: "https://receiver.example.com/hooks", authMethod: "none" })
      .returning();
    const base = `/api/trusted-sites/${site!.id}/signing-secrets`;

    expect((await call("POST", base, undefined, false)).status).toBe(401);
    expect(await (await call("GET", base)).json()).toEqual({ secrets: [] });
    expect((await call("POST", `${base}/rotate`, {})).status).toBe(409);

    const enabled = await call("POST", base);
    expect(enabled.status).toBe(201);
    const { secret, secrets } = await enabled.json();
    expect(secret).toMatch(/^whsec_/);
    expect(secrets).toEqual([{ id: expect.any(String), prefix: secret.slice(0, 10), createdAt: expect.any(String), activeUntil: null }]);
    expect((await call("POST", base)).status).toBe(409);

    const listed = await (await call("GET", base)).text();
    const siteView = await (await call("GET", `/api/trusted-sites/${site!.id}`)).text();
    for (const answer of [listed, siteView]) {
      expect(answer).toContain(secret.slice(0, 10));
      expect(answer).not.toContain(secret.slice(10));
    }

    const refused = await call("POST", `${base}/rotate`, { overlapHours: -1 });
    expect(refused.status).toBe(422);
    expect((await refused.json()).issues).toEqual([expect.objectContaining({ path: ["overlapHours"] })]);
    expect((await call("POST", `${base}/rotate`, { overlapHours: "soon" })).status).toBe(422);

    const rotated = await call("POST", `${base}/rotate`, { overlapHours: 1 });
    expect(rotated.status).toBe(201);
    const after = await rotated.json();
    expect(after.secret).not.toBe(secret);
    expect(after.secrets.map((s: { activeUntil: string | null }) => s.activeUntil === null)).toEqual([true, false]);

    expect(await (await call("DELETE", base)).json()).toEqual({ secrets: [] });
    expect((await call("POST", "/api/trusted-sites/00000000-0000-4000-8000-000000000000/signing-secrets")).status).toBe(404);
  });
});
