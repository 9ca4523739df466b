import type { AuthContext, OutgoingRequest } from "@/lib/auth-methods/types";
import { createMemoryTokenStore } from "@/lib/oauth/token-store";

/**
 * A webhook request and an authorization context for tests of single methods (independent of the
 * conformance suite's fixtures, so these tests run while other methods are still being written).
 */
export function webhookRequest(url = "https://receiver.example/hooks/loyalty"): OutgoingRequest {
  return {
    method: "POST",
    url,
    headers: { "content-type": "application/json", "webhook-id": "msg-1", "user-agent": "TrustedSitesWebhooks/1.0" },
    body: JSON.stringify({ customerId: "c-1", action: "points.earned", points: 120 }),
  };
}

/** The real clock and fetch (loopback peers), and a fresh memory token store, unless overridden. */
export function authContext(overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    siteId: "site-1",
    message: { id: "msg-1", action: "points.earned", customerId: "c-1", createdAt: new Date() },
    now: () => new Date(),
    fetch,
    tokens: createMemoryTokenStore(),
    ...overrides,
  };
}

/** The token of an `Authorization: Bearer` header, or an error. */
export function bearerToken(request: OutgoingRequest): string {
  const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "");
  if (!match) throw new Error(`no bearer token in ${JSON.stringify(request.headers.authorization)}`);
  return match[1]!;
}
