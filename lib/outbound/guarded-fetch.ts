import {
  Agent,
  type Dispatcher,
  Request as UndiciRequest,
  fetch as undiciFetch,
  type RequestInit as UndiciRequestInit,
} from "undici";
import { createAddressPolicy } from "./address-policy";
import { createGuardedConnector } from "./guarded-connector";
import { findOutboundRefusal } from "./refused-error";

export interface GuardedFetchOptions {
  /** ALLOW_PRIVATE_TARGETS syntax; defaults to the environment's setting. */
  allow?: string;
}

type UndiciInput = string | URL | UndiciRequest;

async function toUndiciArguments(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): Promise<[UndiciInput, UndiciRequestInit]> {
  const undiciInit = (init ?? {}) as UndiciRequestInit;
  if (typeof input === "string" || input instanceof URL || input instanceof UndiciRequest) {
    return [input, undiciInit];
  }
  // A Request from Node's built-in fetch (aws4fetch signs those) is foreign to undici's fetch.
  return [
    input.url,
    {
      method: input.method,
      headers: Array.from(input.headers),
      body: input.body === null ? undefined : await input.arrayBuffer(),
      signal: input.signal,
      ...undiciInit,
    },
  ];
}

/**
 * A fetch that can only connect to addresses the policy allows (checked on the resolved IP at
 * connect time) and never follows redirects: a 3xx comes back as the response.
 * A refused connection rejects with OutboundAddressRefusedError (code OUTBOUND_ADDRESS_REFUSED).
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}, dispatcher: Dispatcher = createGuardedAgent(options)): typeof fetch {
  const guarded = async (input: RequestInfo | URL, init?: RequestInit) => {
    const [target, undiciInit] = await toUndiciArguments(input, init);
    try {
      return await undiciFetch(target, { ...undiciInit, redirect: "manual", dispatcher });
    } catch (error) {
      throw findOutboundRefusal(error) ?? error;
    }
  };
  return guarded as unknown as typeof fetch;
}

/** The connection pool behind the guarded fetch and request: sockets only to addresses the policy allows. */
export function createGuardedAgent(options: GuardedFetchOptions = {}): Dispatcher {
  return new Agent({ connect: createGuardedConnector(createAddressPolicy(options.allow)) });
}

export interface GuardedResponse {
  status: number;
  /** As undici gives them: lower-case names, repeated ones as arrays. */
  headers?: Record<string, string | string[] | undefined>;
  /** The response's Retry-After header, if any (the delivery core reads no other). */
  retryAfter?: string | null;
  body: AsyncIterable<Uint8Array> & { destroy(): void };
}

/** One HTTP exchange, no redirects followed; rejects with OutboundAddressRefusedError for a refused address. */
export type GuardedRequest = (
  request: { method: string; url: string; headers: Record<string, string>; body: string },
  signal: AbortSignal,
) => Promise<GuardedResponse>;

/**
 * The guarded fetch's lighter sibling for sending webhooks: undici's request API, without fetch's
 * Request/Response and web-stream objects (a tenth of the worker's CPU per delivery). It never
 * follows redirects (no redirect interceptor is installed).
 */
export function createGuardedRequest(dispatcher: Dispatcher): GuardedRequest {
  return async (request, signal) => {
    const url = new URL(request.url);
    try {
      const response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body,
        signal,
      });
      const retryAfter = response.headers["retry-after"];
      return { status: response.statusCode, headers: response.headers, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : (retryAfter ?? null), body: response.body };
    } catch (error) {
      throw findOutboundRefusal(error) ?? error;
    }
  };
}

let fromEnvironment: typeof fetch | undefined;

/**
 * The app's outbound fetch, configured from ALLOW_PRIVATE_TARGETS on first use (a malformed
 * setting rejects the call with a ConfigError).
 */
export const guardedFetch: typeof fetch = async (input, init) =>
  (fromEnvironment ??= createGuardedFetch())(input, init);
