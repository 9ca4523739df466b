import { getDb } from "@/lib/db";
import { collectingAnnouncer } from "@/lib/delivery/engine";
import { continueAfterMessage } from "@/lib/workflows/run-engine";
import { inngest } from "./client";
import { messageFinished, messageRequestedEvent } from "./events";

/**
 * Workflow runs with WEBHOOK_ENGINE=inngest (DESIGN §10). A run's state lives in PostgreSQL for both
 * engines (lib/workflows/run-engine.ts): `POST /api/events` starts runs in the transaction that
 * answers with their ids, and a node waiting for a message is a "waiting" row. What Inngest adds is
 * the durable wake-up: when a message ends, this function continues the runs waiting for it, in one
 * step, and sends the messages their next nodes queued. It reads the message's state, not the event,
 * so a repeated event does nothing twice and an event that comes before anyone "waits" loses
 * nothing (there is no window between checking and waiting as with step.waitForEvent). Events lost
 * on the way are caught up by sweep-stranded-messages every minute.
 */
export const continueWorkflowRuns = inngest.createFunction(
  {
    id: "continue-workflow-runs",
    triggers: [messageFinished],
    // Continuing is idempotent (a finished wait is not taken twice), so retries only ride out a database outage.
    retries: 3,
  },
  async ({ event, step }) => {
    const { messageId } = event.data;
    const queued = await step.run("continue-runs", async () => {
      const { announcer, queued } = collectingAnnouncer();
      await continueAfterMessage(await getDb(), messageId, announcer);
      return queued;
    });
    if (queued.length > 0) {
      await step.sendEvent("request-delivery", queued.map((id) => messageRequestedEvent(id)));
    }
    return { messageId, queued: queued.length };
  },
);
