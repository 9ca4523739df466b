import type { ClaimedMessage } from "../delivery/claim-messages";
import type { AttemptResult } from "../delivery/record-outcome";
import { attemptOutcome } from "./attempt-outcome";
import { recordAttemptSpan } from "./attempt-span";
import { metrics, siteLabels } from "./metrics";

type Unsent = "paused" | { kind: "postponed"; until: Date };

/**
 * Runs an attempt's send and reports what it came to: the attempt counter and duration histogram,
 * and one client span. A send that sent nothing (the site paused, or its start postponed) reports nothing.
 */
export async function observeAttempt<R extends AttemptResult | Unsent>(message: ClaimedMessage, send: () => Promise<R>): Promise<R> {
  const returned = await send();
  const unsent = returned as AttemptResult | Unsent;
  if (unsent === "paused" || "kind" in unsent) return returned;
  const result = unsent;
  const outcome = attemptOutcome(result);
  const m = metrics();
  const site = siteLabels(message.site);
  m.attempts.inc({ ...site, outcome });
  if (result.durationMs != null) m.attemptDuration.observe(site, result.durationMs / 1000);
  recordAttemptSpan(message, result, outcome);
  return returned;
}
