import { cron } from "inngest";
import { getDb } from "@/lib/db";
import { collectingAnnouncer } from "@/lib/delivery/engine";
import { takeStrandedMessages } from "@/lib/delivery/inngest/take-stranded-messages";
import { continueStrandedRuns } from "@/lib/workflows/run-engine";
import { inngest } from "./client";
import { messageRequestedEvent } from "./events";

/** Longer than Inngest normally takes to resume a run at its due time. */
export const STRANDED_AFTER_MS = 60_000;
const BATCH = 500;

/**
 * Announces queued messages that no run is delivering: their event could not be sent when they
 * were created (Inngest unreachable), or their run ended without finishing them. Messages a run is
 * still on are left alone: they are held, or due recently; a run sleeping late is not doubled, as
 * deliver-webhook runs once per message at a time. It also continues workflow runs still waiting
 * for a message that has ended (its webhook/message.finished event was lost).
 */
export const sweepStrandedMessages = inngest.createFunction(
  {
    id: "sweep-stranded-messages",
    triggers: [cron("* * * * *")],
    // Safe to repeat: a message taken but not announced is found again a minute later.
    retries: 2,
    concurrency: { limit: 1 },
  },
  async ({ step, runId }) => {
    const continued = await step.run("continue-stranded-runs", async () => {
      const { announcer, queued } = collectingAnnouncer();
      await continueStrandedRuns(await getDb(), announcer);
      return queued;
    });
    if (continued.length > 0) {
      await step.sendEvent("announce-continued", continued.map((id) => messageRequestedEvent(id)));
    }
    const stranded = await step.run("take-stranded", async () =>
      takeStrandedMessages(await getDb(), { overdueMs: STRANDED_AFTER_MS, limit: BATCH }),
    );
    if (stranded.length === 0) return { announced: 0 };
    await step.sendEvent(
      "announce-stranded",
      // Announced before for this attempt: the occasion (this sweep) keeps the event from being dropped as a repeat.
      stranded.map((m) => messageRequestedEvent(m.id, { attemptNo: m.attemptNo, occasion: `swept-${runId}` })),
    );
    return { announced: stranded.length };
  },
);
