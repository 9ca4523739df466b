import type { OutgoingRequest } from "../auth-methods/types";
import type { BodyEncoding } from "../trusted-sites/request-shape";

/** Headers whose values carry no credential; every other header is recorded by name only. */
const SHOWN_HEADERS = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "host",
  "date",
  "x-amz-date",
  "x-amz-content-sha256",
  "x-ems-date",
]);

export const REDACTED = "[redacted]";

/**
 * The request as the Logs may show it: method, URL and headers, credentials replaced. The body is
 * not stored again: it is the message's envelope in `bodyEncoding`, the same on every attempt
 * (envelope.ts), so the message page rebuilds it. `resentAfterTokenRefresh` when it is the second
 * send of its attempt, after a 401 refused the cached token.
 */
export function recordedRequest(request: OutgoingRequest, bodyEncoding: BodyEncoding, note?: { resentAfterTokenRefresh: true }) {
  return {
    method: request.method,
    url: request.url,
    bodyEncoding,
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, SHOWN_HEADERS.has(name.toLowerCase()) ? value : REDACTED]),
    ),
    ...note,
  };
}
