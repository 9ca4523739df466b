import type { ClaimedMessage } from "../delivery/claim-messages";
import type { AttemptResult } from "../delivery/record-outcome";
import { attemptOutcome } from "./attempt-outcome";
import { recordAttemptSpan } from "./attempt-span";
import { metrics, siteLabels } from "./metrics";

/**
 * Runs an attempt's send and reports what it came to: the attempt counter and duration histogram,
 * and one client span. A send that found the site paused sent nothing and reports nothing.
 */
export async function observeAttempt<R extends AttemptResult | "paused">(message: ClaimedMessage, send: () => Promise<R>): Promise<R> {
  const result = await send();
  if (result === "paused") return result;
  const outcome = attemptOutcome(result);
  const m = metrics();
  const site = siteLabels(message.site);
  m.attempts.inc({ ...site, outcome });
  if (result.durationMs != null) m.attemptDuration.observe(site, result.durationMs / 1000);
  recordAttemptSpan(message, result, outcome);
  return result;
}
