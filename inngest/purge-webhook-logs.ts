import { cron } from "inngest";
import { getDb } from "@/lib/db";
import { purgeExpired } from "@/lib/delivery/purge-expired";
import { inngest } from "./client";

/** Deletes attempts and finished messages past the 90-day retention (DESIGN §3), in short batches. */
export const purgeWebhookLogs = inngest.createFunction(
  {
    id: "purge-webhook-logs",
    triggers: [cron("17 * * * *")],
    // Deleting what is expired is idempotent, so a failed run may simply run again.
    retries: 2,
    concurrency: { limit: 1 },
  },
  async ({ step }) => step.run("purge-expired", async () => purgeExpired(await getDb())),
);
