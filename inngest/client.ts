import { Inngest } from "inngest";
import { readInngestStepMaxMs } from "@/lib/env";
import { stepBudget } from "@/lib/inngest/step-budget";

/**
 * The app as Inngest knows it. Keys, dev mode and the server's URL are read by the SDK itself from
 * INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY, INNGEST_DEV and INNGEST_BASE_URL (see lib/env.ts).
 *
 * Checkpointing lets one request to /api/inngest run step after step; after `maxRuntime` the SDK
 * finishes the step it is in and returns. With it derived from INNGEST_STEP_MAX_MS, a request
 * lasts at most maxRuntime + one step (bounded too) + the final checkpoint: below the host's limit.
 */
export const inngest = new Inngest({
  id: "trusted-sites-webhooks",
  checkpointing: { maxRuntime: stepBudget(readInngestStepMaxMs()).maxRuntimeMs },
});
