import { randomBytes } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { enqueue } from "@/lib/delivery/enqueue";
import { ValidationError } from "@/lib/errors";
import { configuredDeliveryDeps } from "@/lib/delivery/inngest/configured-delivery-deps";
import { LATE_START_WAIT_MS, PACING_WAIT_MS, stepBudget } from "@/lib/inngest/step-budget";
import { secrets } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { createDatabaseTokenStore } from "@/lib/oauth/token-store";
import { AuthorizationError } from "@/lib/auth-methods/types";
import { sql } from "drizzle-orm";
import { deliverWebhook } from "@/inngest/deliver-webhook";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

// A host that lets one request to /api/inngest run 20 s: one step may take 15 s, a site timeout just under 1.5 s.
const HOST_LIMIT_MS = 20_000;
const MAX_SITE_TIMEOUT_MS = stepBudget(HOST_LIMIT_MS).maxSiteTimeoutMs;
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // Read when the function's first step builds its dependencies, and by every site save.
  vi.stubEnv("WEBHOOK_ENGINE", "inngest");
  vi.stubEnv("INNGEST_STEP_MAX_MS", String(HOST_LIMIT_MS));
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  vi.stubEnv("WEBHOOK_RETRY_INTERVAL_MS", "100");
  vi.stubEnv("APP_ENCRYPTION_KEY", randomBytes(32).toString("base64"));
  database = await createTestDatabase();
  makeAppDatabase(database);
  receiver = await startWebhookReceiver((_, n) => (n === 1 ? "hang" : { status: 200 }));
});
afterAll(async () => {
  await receiver?.close();
  await database?.drop();
});

const siteInput = (timeoutMs: number) => ({
  name: `Receiver ${timeoutMs}`,
  url: "https://receiver.example/hooks",
  authMethod: "none",
  timeoutMs,
});

describe(`with WEBHOOK_ENGINE=inngest and INNGEST_STEP_MAX_MS=${HOST_LIMIT_MS}`, () => {
  it("saving a site refuses a timeout that cannot fit in one step, on the timeout field, and takes one that fits", async () => {
    expect(MAX_SITE_TIMEOUT_MS).toBe(1_483);
    const refused = await createSite(database.db, secrets(), actor, siteInput(5_000)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      {
        path: ["timeoutMs"],
        message: expect.stringMatching(/^Timeout must be at most 1483 ms with Inngest deliveries: a request to \/api\/inngest may run 20 s on this host \(INNGEST_STEP_MAX_MS\)/),
      },
    ]);
    expect(await createSite(database.db, secrets(), actor, siteInput(1_483))).toMatchObject({ timeoutMs: 1_483, status: "draft" });
  });

  it("the steps' waits come from the budget: no thread wait, at most 50 ms for a start, database retries cut to a tenth of a step", () => {
    const budget = stepBudget(HOST_LIMIT_MS);
    expect(configuredDeliveryDeps(database.db).deps).toMatchObject({
      threadWaitMs: 0,
      pacingHorizonMs: PACING_WAIT_MS,
      lateStartWaitMs: LATE_START_WAIT_MS,
      databaseRetryMs: budget.databaseRetryMs,
    });
    expect(budget.databaseRetryMs).toBe(1_500);
  });

  it("the local engine has no such limit", async () => {
    vi.stubEnv("WEBHOOK_ENGINE", "local");
    try {
      expect(await createSite(database.db, secrets(), actor, siteInput(60_000))).toMatchObject({ timeoutMs: 60_000 });
    } finally {
      vi.stubEnv("WEBHOOK_ENGINE", "inngest");
    }
  });

  it("a site saved with a longer timeout before the limit was lowered: its sends time out within the step's budget", async () => {
    const customerId = await insertCustomer(database.db);
    const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, timeoutMs: 10_000 });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
    const engine = new InngestTestEngine({ function: deliverWebhook });
    const { result } = await engine.execute({
      events: [{ name: "webhook/message.requested", data: { messageId: id } }],
      steps: [
        { id: "wait-1", handler: () => new Promise((r) => setTimeout(() => r(null), 150)) },
        { id: "announce-finished", handler: () => ({ ids: [] }) },
      ],
    });

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    const [first, second] = await attemptRows(database.db, id);
    expect(first).toMatchObject({ status: "resent", error: `no response within ${MAX_SITE_TIMEOUT_MS} ms (timeout)` });
    expect(first!.durationMs).toBeLessThan(MAX_SITE_TIMEOUT_MS + 500);
    expect(second).toMatchObject({ status: "done", responseCode: 200 });
  });

  it("a send waiting for another send's token fetch gives up within the budget, saying why", async () => {
    const siteId = await insertSite(database.db, { url: "https://receiver.example/hooks" });
    const tokens = createDatabaseTokenStore(database.db, secrets(), { lockWaitMs: 300 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // Another process holds the site's token-fetch lock (its token endpoint is slow).
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`oauth-token:${siteId}`}, 0))`);
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const fetchToken = vi.fn(async () => ({ accessToken: "t", expiresAt: new Date(Date.now() + 60_000) }));
    const error = await tokens.getOrFetch(siteId, fetchToken).catch((e: unknown) => e);
    release();
    await holder;

    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toBe("another send has been fetching the site's token for more than 300 ms");
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(fetchToken).not.toHaveBeenCalled();
    // Once the other fetch is over, the next send fetches as usual.
    expect(await tokens.getOrFetch(siteId, fetchToken)).toMatchObject({ accessToken: "t" });
  });
});
