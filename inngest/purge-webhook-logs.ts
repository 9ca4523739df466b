import { cron } from "inngest";
import { getDb } from "@/lib/db";
import { createAttemptPartitionsAhead } from "@/lib/db/attempt-partitions";
import { purgeCutoff, purgeExpiredPart } from "@/lib/delivery/purge-expired";
import { inngest } from "./client";

/** Delete statements (of up to 1,000 rows each) per step: a step ends in seconds, far below any host limit. */
export const PURGE_BATCHES_PER_STEP = 20;
/** Parts per run, within Inngest's 1,000 steps; a larger backlog is resumed by the next hourly run. */
export const PURGE_PARTS_PER_RUN = 200;

/**
 * Creates the attempt partitions of the days ahead, then drops the attempt partitions and deletes the
 * finished messages past the 90-day retention (DESIGN §3), in short batches: each step drops or
 * deletes a bounded number of them, and the next step resumes where it stopped (the oldest rows
 * still there), so a large backlog never makes one step outlast the host's limit.
 */
export const purgeWebhookLogs = inngest.createFunction(
  {
    id: "purge-webhook-logs",
    triggers: [cron("17 * * * *")],
    // Deleting what is expired is idempotent, so a failed run may simply run again.
    retries: 2,
    concurrency: { limit: 1 },
  },
  async ({ step }) => {
    await step.run("partitions-ahead", async () => createAttemptPartitionsAhead(await getDb()));
    // One cutoff for the whole run, taken in a step so that replays agree on it.
    const cutoff = await step.run("cutoff", () => purgeCutoff().toISOString());
    const total = { attempts: 0, partitions: 0, messages: 0, minutes: 0, parts: 0, more: true };
    while (total.more && total.parts < PURGE_PARTS_PER_RUN) {
      total.parts++;
      const part = await step.run(`purge-${total.parts}`, async () =>
        purgeExpiredPart(await getDb(), { cutoff: new Date(cutoff), maxBatches: PURGE_BATCHES_PER_STEP }),
      );
      total.attempts += part.attempts;
      total.partitions += part.partitions;
      total.messages += part.messages;
      total.minutes += part.minutes;
      total.more = part.more;
    }
    return total;
  },
);
