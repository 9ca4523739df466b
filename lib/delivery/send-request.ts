import type { OutgoingRequest } from "../auth-methods/types";
import { readBoundedBody } from "../http/bounded-body";
import type { GuardedRequest } from "../outbound/guarded-fetch";
import { findOutboundRefusal } from "../outbound/refused-error";
import { SendFailure } from "./delivery-errors";
import { RESPONSE_EXCERPT_BYTES } from "./policy/delivery-rules";

export interface SendResult {
  responseCode: number;
  durationMs: number;
  responseExcerpt: string;
  /** The Retry-After header, if the receiver sent one (the retry policy reads it on 429 and 503). */
  retryAfter?: string | null;
}

/**
 * Sends the request once: no redirects followed (the guarded fetch returns a 3xx as is), the whole
 * exchange bounded by `timeoutMs`, and only the first bytes of the response body kept.
 * Rejects with a SendFailure (carrying the duration) when no response arrives.
 */
export async function sendRequest(
  request: OutgoingRequest,
  timeoutMs: number,
  fetchImpl: typeof fetch,
  /** When given, sends with this instead of fetchImpl. */
  requestImpl?: GuardedRequest,
): Promise<SendResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    if (requestImpl) {
      const response = await requestImpl(request, signal);
      const responseExcerpt = await readBodyExcerpt(response.body);
      return { responseCode: response.status, durationMs: elapsed(), responseExcerpt, retryAfter: response.retryAfter ?? null };
    }
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal,
    });
    const responseExcerpt = await readExcerpt(response);
    return { responseCode: response.status, durationMs: elapsed(), responseExcerpt, retryAfter: response.headers.get("retry-after") };
  } catch (error) {
    throw new SendFailure(describeSendError(error, signal, timeoutMs), { cause: { durationMs: elapsed() } });
  }
}

async function readExcerpt(response: Response): Promise<string> {
  return excerptText([await readBoundedBody(response, RESPONSE_EXCERPT_BYTES)]);
}

async function readBodyExcerpt(body: AsyncIterable<Uint8Array> & { destroy(): void }): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= RESPONSE_EXCERPT_BYTES) break;
    }
  } catch {
    // As in readExcerpt: the status line arrived, so the receiver answered.
  } finally {
    // Leaving the loop early destroys the body already; this covers a body that failed.
    body.destroy();
  }
  return excerptText(chunks);
}

function excerptText(chunks: Uint8Array[]): string {
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  // A cut through a multi-byte character decodes to U+FFFD, which is fine for an excerpt. NUL cannot
  // be stored in a PostgreSQL text column: left in, the outcome could not be recorded and a delivered
  // message would be sent again.
  return bytes.toString("utf8").replaceAll("\u0000", "\uFFFD");
}

const TIMEOUT_PREFIX = "no response within ";
const CONNECTION_PREFIX = "connection failed (";

function describeSendError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `${TIMEOUT_PREFIX}${timeoutMs} ms (timeout)`;
  const refusal = findOutboundRefusal(error);
  if (refusal) return refusal.message;
  return `${CONNECTION_PREFIX}${networkCause(error)})`;
}

export type SendFailureType = "timeout" | "connection_error" | "refused_target";

/**
 * What kind of send failure a SendFailure's message describes (for metrics and traces, which
 * need a small fixed set of values). Kept beside describeSendError, which writes those messages.
 */
export function sendFailureType(message: string): SendFailureType {
  if (message.startsWith(TIMEOUT_PREFIX)) return "timeout";
  if (message.startsWith(CONNECTION_PREFIX)) return "connection_error";
  return "refused_target";
}

/** The innermost code or message of a network error: ECONNREFUSED, ECONNRESET, ENOTFOUND, … */
function networkCause(error: unknown): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && code !== "UND_ERR_SOCKET") return code;
    if (!(cause.cause instanceof Error)) return cause.message;
    cause = cause.cause;
  }
  return "unknown error";
}

/** How long a failed send took, as carried by SendFailure. */
export function failureDuration(failure: SendFailure): number | null {
  const cause = failure.cause as { durationMs?: number } | undefined;
  return cause?.durationMs ?? null;
}
