import type { AuthContext, MessageContext, OutgoingRequest } from "@/lib/auth-methods/types";

export const message: MessageContext = {
  id: "3f2c9a4e-1b7d-4e0a-9c55-6d8e2f1a0b3c",
  action: "contact.created",
  customerId: "c-4711",
  createdAt: new Date("2026-03-07T08:05:09.123Z"),
};

/** A context for signing methods: a fixed (or given) clock and no network. */
export function signingContext(now: Date, overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    siteId: "site-1",
    message,
    now: () => now,
    fetch: () => Promise.reject(new Error("signing methods use no network")),
    tokens: {
      getOrFetch: () => Promise.reject(new Error("signing methods use no tokens")),
      invalidate: async () => {},
    },
    ...overrides,
  };
}

export function jsonRequest(url: string, body: unknown = { event: "contact.created", name: "Zoë" }): OutgoingRequest {
  return {
    method: "POST",
    url,
    headers: { "content-type": "application/json", "x-webhook-id": message.id },
    body: JSON.stringify(body),
  };
}
