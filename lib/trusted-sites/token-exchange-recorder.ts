import type { CachedToken, TokenExchange, TokenStore } from "../auth-methods/types";
import { readBoundedBody } from "../http/bounded-body";
import { originAndPath } from "../observability/redact-url";
import { parseJsonObject } from "../oauth/token-request";

const MAX_RECORDED_BODY_BYTES = 16_384;
const MAX_TEXT = 300;

/**
 * A fetch for the methods' token requests that passes each exchange through and keeps a copy of
 * what came back (status, the JSON body) for Test connection and Test token endpoint to show,
 * redacted. The method reads its own copy of the response as it always does.
 */
export function recordingTokenFetch(inner: typeof fetch): { fetch: typeof fetch; exchanges: TokenExchange[] } {
  const exchanges: TokenExchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const started = performance.now();
    const url = originAndPath(input instanceof Request ? input.url : String(input));
    const sentCredentials = credentialsIn(init);
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      exchanges.push({ url, status: null, durationMs: Math.round(performance.now() - started), json: null, text: "", sentCredentials });
      throw error;
    }
    const text = await boundedText(response.clone());
    exchanges.push({ url, status: response.status, durationMs: Math.round(performance.now() - started), json: parseJsonObject(text), text: text.slice(0, MAX_TEXT), sentCredentials });
    return response;
  };
  return { fetch: recording, exchanges };
}

/** A token store that hands every caller a freshly fetched token and keeps none (Test token endpoint never caches). */
export const uncachedTokenStore: TokenStore = {
  getOrFetch: (_siteId, fetchToken) => fetchToken(null),
  invalidate: async () => {},
};

/** The token store, telling `seen` about the token it handed out. */
export function watchedTokenStore(inner: TokenStore, seen: (token: CachedToken) => void): TokenStore {
  return {
    getOrFetch: async (siteId, fetchToken) => {
      const token = await inner.getOrFetch(siteId, fetchToken);
      seen(token);
      return token;
    },
    invalidate: (siteId, refused) => inner.invalidate(siteId, refused),
  };
}

const CREDENTIAL_PARAMS = ["client_secret", "assertion", "client_assertion", "refresh_token", "code", "code_verifier"];

/** The credential values in a token request (form or JSON body, Authorization header). */
function credentialsIn(init: RequestInit | undefined): string[] {
  const found: string[] = [];
  const authorization = new Headers(init?.headers).get("authorization");
  if (authorization) found.push(authorization, authorization.replace(/^\S+ /, ""));
  if (typeof init?.body === "string") {
    const body = init.body;
    const json = parseJsonObject(body);
    const read = (name: string) => (json ? json[name] : new URLSearchParams(body).get(name));
    for (const name of CREDENTIAL_PARAMS) {
      const value = read(name);
      if (typeof value === "string" && value !== "") found.push(value);
    }
  }
  return found;
}

async function boundedText(response: Response): Promise<string> {
  return (await readBoundedBody(response, MAX_RECORDED_BODY_BYTES)).toString("utf8");
}
