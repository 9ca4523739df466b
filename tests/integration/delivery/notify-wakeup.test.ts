import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker } from "@/lib/delivery/local/local-worker";
import { createSecretBox } from "@/lib/secrets";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, waitFor } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

let database: TestDatabase;
let receiver: WebhookReceiver;
let siteId: string;
let customerId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startWebhookReceiver(() => ({ status: 200 }));
  customerId = await insertCustomer(database.db);
  siteId = await insertSite(database.db, { url: receiver.url, rps: 1000, threads: 10 });
});
afterAll(async () => {
  await receiver?.close();
  await database?.drop();
});

describe("an idle worker woken by a notification", () => {
  // Regression: a NOTIFY that arrived while a claim pass read the next due time was dropped, and a
  // message enqueued right after the worker became ready waited for the claim-TTL timer (30 s).
  it("delivers a message enqueued right after it is ready within a second, every time", async () => {
    for (let round = 0; round < 12; round++) {
      let ready!: () => void;
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      const worker = startLocalWorker({
        ...database,
        box: createSecretBox(randomBytes(32)),
        allowPrivateTargets: "127.0.0.1",
        purgeEveryMs: 0,
        log: (line) => line.endsWith("ready") && ready(),
      });
      try {
        await isReady;
        const before = receiver.arrivals.length;
        const sentAt = Date.now();
        await enqueue(database.db, { siteId, customerId, action: "wake.up", payload: { round } });
        await waitFor(() => receiver.arrivals.length > before, 5_000, `round ${round}'s delivery`);
        expect(receiver.arrivals.at(-1)!.at - sentAt).toBeLessThan(1_000);
      } finally {
        await worker.stop(5_000);
      }
    }
  }, 90_000);
});
