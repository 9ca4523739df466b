import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchForErrors } from "../helpers/browser";
import { startBrowserApp, type BrowserApp } from "../helpers/test-app";
import { attemptRows, insertCustomer, insertSite, messageRow, waitFor } from "../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";
import { TEST_ADMIN } from "../helpers/web-server";

let app: BrowserApp;
let receiver: WebhookReceiver;
let siteId: string;
let customerId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => ({ status: 503 }));
  app = await startBrowserApp({
    APP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ALLOW_PRIVATE_TARGETS: "127.0.0.1",
    WEBHOOK_RETRY_INTERVAL_MS: "500",
  });
  customerId = await insertCustomer(app.database.db);
  siteId = await insertSite(app.database.db, { url: `${receiver.url}/hooks` });
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

describe("a message to a site set inactive", () => {
  it("shows as Paused in the Queue and on its page, and the operator can cancel it there", async () => {
    const triggered = await app.context.request.post("/api/webhooks/messages", {
      data: { siteId, customerId, action: "points.earned", payload: { points: 5 } },
      headers: { origin: app.server.url },
    });
    const { id } = await triggered.json();
    await waitFor(() => receiver.arrivals.length >= 1, 10_000, "the first send");
    const deactivated = await app.context.request.post(`/api/trusted-sites/${siteId}/status`, { data: { status: "inactive" }, headers: { origin: app.server.url } });
    expect(deactivated.status()).toBe(200);
    const sent = receiver.arrivals.length;

    const queue = await app.context.newPage();
    const errors = watchForErrors(queue);
    await queue.goto("/webhooks/queue");
    const row = queue.getByTestId("queue-row").filter({ hasText: id });
    await row.getByText("Paused (site inactive)").waitFor();
    expect(await row.innerText()).toMatch(/paused/i);
    expect(await row.innerText()).not.toMatch(/\bin \d+ s\b|due now/);

    await row.getByRole("link", { name: id }).click();
    await queue.waitForURL(`**/webhooks/messages/${id}`);
    expect(await queue.getByTestId("message-status").innerText()).toMatch(/paused/i);
    await queue.getByText("Paused (site inactive)").waitFor();
    await queue.getByRole("button", { name: "Cancel message" }).click();
    await queue.getByRole("alertdialog").getByRole("button", { name: "Cancel message" }).click();
    await expect.poll(() => queue.getByTestId("message-status").innerText(), { timeout: 10_000 }).toMatch(/failed/i);
    const reason = `Cancelled by ${TEST_ADMIN.email} while the site was inactive`;
    await queue.getByTestId("message-attempts").getByText(reason).waitFor();
    expect(errors).toEqual([]);
    await queue.close();

    expect(await messageRow(app.database.db, id)).toMatchObject({ status: "failed" });
    expect((await attemptRows(app.database.db, id)).at(-1)).toMatchObject({ status: "failed", error: reason });
    expect(receiver.arrivals).toHaveLength(sent);
  });
});
