import type { AttemptResult } from "../delivery/record-outcome";
import { sendFailureType, type SendFailureType } from "../delivery/send-request";

/** How an attempt ended, as a metric label: a small fixed set, whatever the receiver does. */
export type AttemptOutcomeLabel = "success" | "http_error" | "authorization_error" | SendFailureType;

/**
 * The outcome of an attempt's result as attemptMessage's send() builds it: a response (2xx or not),
 * a send failure (which always carries its duration), or an authorization failure (no request
 * left, so no duration).
 */
export function attemptOutcome(result: AttemptResult): AttemptOutcomeLabel {
  if (result.responseCode != null) return result.succeeded ? "success" : "http_error";
  if (result.durationMs == null) return "authorization_error";
  return sendFailureType(result.error ?? "");
}
