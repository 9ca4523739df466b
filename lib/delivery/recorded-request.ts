import type { OutgoingRequest } from "../auth-methods/types";

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
 * The request as the Logs may show it: method, URL and headers, credentials replaced;
 * `resentAfterTokenRefresh` when it is the second send of its attempt, after a 401 refused the cached token.
 */
export function recordedRequest(request: OutgoingRequest, note?: { resentAfterTokenRefresh: true }) {
  return {
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, SHOWN_HEADERS.has(name.toLowerCase()) ? value : REDACTED]),
    ),
    ...note,
  };
}
