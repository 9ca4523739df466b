import { NonRetriableError } from "inngest";
import { getDb } from "@/lib/db";
import { collectingAnnouncer } from "@/lib/delivery/engine";
import { customerEventSchema } from "@/lib/workflows/event-input";
import { startRuns } from "@/lib/workflows/run-engine";
import { inngest } from "./client";
import { customerEventReceived, messageRequestedEvent } from "./events";

/**
 * A customer event sent to Inngest directly (the same shape as `POST /api/events`, which starts
 * runs itself so it can answer with their ids): starts the matching workflows' runs in one step and
 * sends the messages they queued. From there runs continue as the route's do (continue-workflow-runs).
 * Give the event an idempotencyKey to make a re-sent event start nothing new.
 */
export const runWorkflow = inngest.createFunction(
  { id: "run-workflow", triggers: [customerEventReceived], retries: 3 },
  async ({ event, step }) => {
    const started = await step.run("start-runs", async () => {
      const { announcer, queued } = collectingAnnouncer();
      const input = customerEventSchema.safeParse(event.data);
      // A malformed event stays malformed: retrying it would only fail again.
      if (!input.success) throw new NonRetriableError(`Not a customer event: ${input.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      const { runs } = await startRuns(await getDb(), input.data, announcer);
      return { runs, queued };
    });
    if (started.queued.length > 0) {
      await step.sendEvent("request-delivery", started.queued.map((id) => messageRequestedEvent(id)));
    }
    return { runs: started.runs.map((r) => r.id) };
  },
);
