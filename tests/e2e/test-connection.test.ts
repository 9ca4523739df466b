import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedSites } from "@/lib/db/schema";
import { sealParams } from "@/lib/auth-methods/stored-params";
import { createSecretBox } from "@/lib/secrets";
import { receiverStringToSign, sigV4Verifier } from "../helpers/aws-verifiers";
import { selectRevealing, watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { startReceiver, type Receiver } from "../helpers/http-receiver";
import { startOAuthServer, type OAuthTestServer } from "../helpers/oauth-server";

/**
 * Test connection on the site page and Test token endpoint in the site form, in the built app:
 * a SigV4 receiver (@smithy/signature-v4) and an OAuth server (oidc-provider) on loopback.
 */

const encryptionKey = randomBytes(32);
const box = createSecretBox(encryptionKey);
/** Set SCREENSHOT_DIR (e.g. docs/screenshots) to save the two views. */
const screenshotDir = process.env.SCREENSHOT_DIR;
const aws = { region: "eu-west-1", service: "execute-api", accessKeyId: "AKIDEXAMPLEE2E", secretAccessKey: "e2e-aws-secret-access-key-000111" };

let app: BrowserApp;
let oauth: OAuthTestServer;
let receiver: Receiver;

beforeAll(async () => {
  oauth = await startOAuthServer({ clientCredentialsTtl: 600 });
  receiver = await startReceiver(sigV4Verifier({ region: aws.region, service: aws.service, secrets: { [aws.accessKeyId]: aws.secretAccessKey }, uriEscapePath: true }));
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.0/8",
  });
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await oauth?.close();
});

function save(name: string) {
  if (!screenshotDir) return null;
  mkdirSync(screenshotDir, { recursive: true });
  return path.join(screenshotDir, name);
}

describe("Test connection", () => {
  it("sends a test message from the site page and shows the signed request, the string to sign and the answer", async () => {
    const [site] = await app.database.db
      .insert(trustedSites)
      .values({
        name: "CRM (API Gateway)",
        url: `${receiver.url}/prod/hooks`,
        authMethod: "aws",
        authParams: sealParams("aws", aws, box),
      })
      .returning();
    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`/trusted-sites/${site!.id}`);
    const panel = page.getByRole("region", { name: "Test connection" });
    await panel.getByRole("button", { name: "Test connection" }).click();
    const result = panel.getByTestId("test-result");
    await result.waitFor({ timeout: 15_000 });

    const { request, decision } = receiver.decisions.at(-1)!;
    expect(decision.accepted).toBe(true);
    expect(await panel.getByTestId("test-verdict").textContent()).toMatch(/accepted the test \(200\)/);
    const shownRequest = (await panel.getByTestId("test-request").textContent())!;
    expect(shownRequest).toContain(`POST ${receiver.url}/prod/hooks`);
    expect(shownRequest).toContain("authorization: [redacted]");
    expect(shownRequest).toContain(`x-amz-date: ${request.headers["x-amz-date"]}`);
    expect(shownRequest).toContain(request.body);
    const { stringToSign } = await receiverStringToSign(request, { uriEscapePath: true });
    expect(await panel.getByTestId("explanation-stringToSign").textContent()).toBe(stringToSign);
    expect(await panel.getByTestId("test-response").textContent()).toMatch(/^200 in \d+ ms/);
    const html = await page.content();
    expect(html).not.toContain(aws.secretAccessKey);
    expect(html).not.toContain(request.headers.authorization!);

    // The audit trail lists the test once the page has refreshed.
    await expect.poll(() => page.getByRole("row", { name: /Tested the connection \(answered 200\)/ }).count(), { timeout: 10_000 }).toBe(1);
    const file = save("test-connection.png");
    if (file) await panel.screenshot({ path: file });
    expect(errors).toEqual([]);
  });
});

describe("Test token endpoint", () => {
  it("asks the token endpoint with the form's values and shows the response with the token redacted, or the provider's error", async () => {
    const { clientId, clientSecret } = oauth.clients.basic;
    const page = await app.context.newPage();
    const errors = watchForErrors(page);
    await page.goto("/trusted-sites/new");
    const fields = page.getByTestId("fields-oauth2-client-credentials");
    await selectRevealing(page.getByLabel("Authentication method"), "oauth2-client-credentials", fields);
    await fields.getByLabel("Token URL", { exact: true }).fill(oauth.tokenUrl);
    await fields.getByLabel("Client ID", { exact: true }).fill(clientId);
    await fields.getByLabel("Client secret", { exact: true }).fill("not-the-secret-e2e-31337");
    await fields.getByLabel("Scope (optional)", { exact: true }).fill("api:read");
    const tester = page.getByTestId("test-token-endpoint");

    await tester.getByRole("button", { name: "Test token endpoint" }).click();
    const result = tester.getByTestId("token-endpoint-result");
    await result.waitFor({ timeout: 15_000 });
    expect(await result.getByRole("status").textContent()).toMatch(/No token: .*401 invalid_client/);
    expect(await result.textContent()).not.toContain("not-the-secret-e2e-31337");

    await fields.getByLabel("Client secret", { exact: true }).fill(clientSecret);
    await tester.getByRole("button", { name: "Test token endpoint" }).click();
    await expect.poll(() => result.getByRole("status").textContent(), { timeout: 15_000 }).toMatch(/issued an access token valid for 600 s/);
    const response = JSON.parse((await tester.getByTestId("token-response").textContent())!);
    expect(response).toMatchObject({ status: 200, body: { access_token: "[redacted]", token_type: "Bearer", expires_in: 600, scope: "api:read" } });
    expect(await result.textContent()).not.toContain(clientSecret);

    const file = save("test-token-endpoint.png");
    if (file) await page.locator("section", { has: tester }).screenshot({ path: file });
    expect(errors).toEqual([]);
  });
});
