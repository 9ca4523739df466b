import { getDb } from "@/lib/db";
import { claimAndAttempt, type TryOutcome } from "@/lib/delivery/inngest/claim-and-attempt";
import { nextInLineAfter } from "@/lib/delivery/next-in-line";
import { inngestTryDeps } from "@/lib/delivery/inngest/configured-delivery-deps";
import { inngest } from "./client";
import { messageFinishedEvent, messageRequested, messageRequestedEvent } from "./events";

/**
 * Tries per run, counting postponements (busy site) and early wake-ups. A run that uses them all
 * ends; its message is left queued and unheld, so the sweeper starts a new run for it.
 * Each try is two steps, well under Inngest's 1,000 steps per run.
 */
export const MAX_TRIES_PER_RUN = 100;

/**
 * Delivers one message (DESIGN §5): each try is a step that claims the message and runs its current
 * attempt with the delivery core, which records it and schedules the next; the run then sleeps
 * until the time that step returned. No time is computed outside a step, so replays agree.
 */
export const deliverWebhook = inngest.createFunction(
  {
    id: "deliver-webhook",
    triggers: [messageRequested],
    // Attempts are counted and spaced by the core, never by Inngest: a retried step claims again and
    // finds the attempt recorded (not due yet) or still held by the try that died (it waits for that
    // claim to lapse, and the core then records the attempt as interrupted). So retries only ride out
    // infrastructure errors, such as the database being away longer than the core waits for it.
    retries: 2,
    // singleton limits RUNS per message: while a run for a message id exists (executing a step or
    // sleeping), an event for the same id starts nothing ("skip"). Runs of different messages are
    // different keys and do not wait for each other. Inngest documents singleton as implicitly
    // concurrency 1 per key; a run executes one step at a time anyway, so that costs nothing here.
    // The claim in PostgreSQL, not singleton, is what keeps two live sends of one attempt apart.
    singleton: { key: "event.data.messageId", mode: "skip" },
    // concurrency limits STEPS executing at once, across all messages (no key): at most 100 tries
    // of this function run at a time. A sleeping run holds no slot, and no step waits for a busy
    // site (it returns "not before T" and the run sleeps), so a site holds at most as many slots as
    // it has threads sending, never more for messages that only wait.
    // A fixed safety ceiling: per-site threads and rps are enforced in PostgreSQL (DESIGN §4),
    // since Inngest's limits are one number for every key.
    concurrency: { limit: 100 },
  },
  async ({ event, step }) => {
    const { messageId } = event.data;
    let attemptNo = event.data.attemptNo ?? 1;
    let again = 0;
    for (let tries = 1; tries <= MAX_TRIES_PER_RUN; tries++) {
      const id = again === 0 ? `attempt-${attemptNo}` : `attempt-${attemptNo}-again-${again}`;
      const postponed = again;
      const outcome: TryOutcome = await step.run(id, async () => {
        const { deps, maxTimeoutMs } = inngestTryDeps(await getDb(), postponed);
        return claimAndAttempt(deps, messageId, { maxTimeoutMs });
      });
      switch (outcome.kind) {
        case "done":
        case "failed":
        case "finished":
          // Workflow runs waiting for the message continue (continue-workflow-runs); for a message no
          // run made, the event finds nothing to do.
          await step.sendEvent("announce-finished", messageFinishedEvent(messageId));
          {
            // At a site that delivers in order per customer, the customer's next message ended its run
            // waiting for this one: announce it (named after this message, so a repeat is dropped).
            const next = await step.run("find-next-in-line", async () => nextInLineAfter(await getDb(), messageId));
            if (next) await step.sendEvent("announce-next-in-line", messageRequestedEvent(next.id, { attemptNo: next.attemptNo, occasion: `after-${messageId}` }));
          }
          return { messageId, outcome: outcome.kind, tries };
        case "lost":
        // The site is inactive: the run ends rather than sleeping on it, and activating the site
        // announces its messages again (lib/trusted-sites/set-site-status.ts).
        case "paused":
        // An earlier message of the customer is in flight at an ordered site: its run announces this
        // one when it ends (the sweeper catches an announcement this run was still alive to skip).
        case "waiting":
          return { messageId, outcome: outcome.kind, tries };
        case "retry":
          await step.sleepUntil(`wait-${outcome.attemptNo}`, outcome.nextAttemptAt);
          // Step ids only ever grow, even if the announcement guessed the attempt number wrong.
          attemptNo = Math.max(attemptNo, outcome.attemptNo) + 1;
          again = 0;
          break;
        case "postponed":
        case "not-due":
        case "held":
          again++;
          await step.sleepUntil(`wait-${attemptNo}-again-${again}`, outcome.until);
          break;
      }
    }
    return { messageId, outcome: "left for the sweeper", tries: MAX_TRIES_PER_RUN };
  },
);
