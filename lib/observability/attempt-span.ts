import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from "@opentelemetry/semantic-conventions";
import type { ClaimedMessage } from "../delivery/claim-messages";
import type { AttemptResult } from "../delivery/record-outcome";
import type { AttemptOutcomeLabel } from "./attempt-outcome";
import { redactUrl } from "./redact-url";

export const TRACER_NAME = "trusted-sites-webhooks/delivery";

/**
 * One client span for an attempt, following the HTTP client semantic conventions. Made once the
 * result is known, with the times the result carries: the span covers the request from the moment
 * it was handed to the HTTP client, not the pacing wait before it. Without a registered SDK the
 * API's tracer is a no-op. Carries no headers and no body.
 */
export function recordAttemptSpan(message: ClaimedMessage, result: AttemptResult, outcome: AttemptOutcomeLabel): void {
  const request = result.request;
  const method = request?.method ?? "POST";
  const url = request?.url ?? message.site.url;
  const start = result.startedAt ?? new Date();
  const span = trace.getTracer(TRACER_NAME).startSpan(method, {
    kind: SpanKind.CLIENT,
    startTime: start,
    attributes: {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_FULL]: redactUrl(url),
      ...serverAttributes(url),
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: message.attempt.attemptNo - 1,
      "webhook.site.id": message.site.id,
      "webhook.site.name": message.site.name,
      "webhook.message.id": message.id,
    },
  });
  if (result.responseCode != null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.responseCode);
  if (!result.succeeded) {
    // A status the receiver answered is its own error type (the conventions' choice); otherwise the kind of failure.
    span.setAttribute(ATTR_ERROR_TYPE, result.responseCode != null ? String(result.responseCode) : outcome);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end(result.durationMs != null ? new Date(start.getTime() + result.durationMs) : undefined);
}

function serverAttributes(raw: string): Record<string, string | number> {
  if (!URL.canParse(raw)) return {};
  const url = new URL(raw);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  // IPv6 literals keep their brackets in URL.hostname; the conventions want the address alone.
  return { [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[(.*)\]$/, "$1"), [ATTR_SERVER_PORT]: port };
}
