import { describeError } from "../logging/describe-error";

/** postgres.js and PostgreSQL codes for a connection that is gone or refused (a restart, a network cut). */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up or shutting down)
]);

/** Whether an error means "the database is unreachable right now", worth retrying after a pause. */
export function isDatabaseOutage(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  }
  return false;
}

/**
 * The driver's own words for an outage (drizzle's wrapper quotes the whole query and its
 * parameters, so only the innermost connection error speaks); any other error by its classes.
 */
export function describeOutage(error: unknown): string {
  if (!isDatabaseOutage(error)) return describeError(error);
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
