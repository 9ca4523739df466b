import {
  Agent,
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
export function createGuardedFetch(options: GuardedFetchOptions = {}): typeof fetch {
  const dispatcher = new Agent({ connect: createGuardedConnector(createAddressPolicy(options.allow)) });
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

let fromEnvironment: typeof fetch | undefined;

/**
 * The app's outbound fetch, configured from ALLOW_PRIVATE_TARGETS on first use (a malformed
 * setting rejects the call with a ConfigError).
 */
export const guardedFetch: typeof fetch = async (input, init) =>
  (fromEnvironment ??= createGuardedFetch())(input, init);
