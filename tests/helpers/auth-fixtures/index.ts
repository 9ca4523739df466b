import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { AuthContext, CachedToken, OutgoingRequest, TokenStore } from "@/lib/auth-methods/types";
import { fixture as awsFixture } from "./aws";
import { fixture as awsS3Fixture } from "./aws-s3";
import { fixture as basicFixture } from "./basic";
import { fixture as jwtFixture } from "./jwt";
import { fixture as oauth2Fixture } from "./oauth2";
import { fixture as oauth2ClientCredentialsFixture } from "./oauth2-client-credentials";
import { fixture as oauth2JwtPrivateKeyFixture } from "./oauth2-jwt-private-key";
import { fixture as staticHeaderFixture } from "./static-header";

export interface AuthMethodFixture {
  /** A complete, valid configuration. */
  valid: Record<string, unknown>;
  /** Each entry breaks one field; the schema must report an issue at that field. */
  invalid: readonly { field: string; value: unknown }[];
  /** The secret strings in `valid`, which must never leak. */
  secretValues: readonly string[];
  /** Secrets the method sends as they are, by design (a static API key): allowed in that one header only. */
  sentAsIs?: { header: string; value: string };
}

/** One fixture per method: a method without one fails to compile here. */
export const authMethodFixtures: Record<AuthMethod, AuthMethodFixture> = {
  none: { valid: {}, invalid: [], secretValues: [] },
  basic: basicFixture,
  "static-header": staticHeaderFixture,
  aws: awsFixture,
  "aws-s3": awsS3Fixture,
  jwt: jwtFixture,
  oauth2: oauth2Fixture,
  "oauth2-client-credentials": oauth2ClientCredentialsFixture,
  "oauth2-jwt-private-key": oauth2JwtPrivateKeyFixture,
};

export const FIXED_NOW = new Date("2026-11-23T12:34:56.000Z");

export const sampleMessage = {
  id: "5b0f6c1e-8a4d-4c36-9f51-2f3c1d9a7e01",
  action: "points.earned",
  customerId: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
  createdAt: FIXED_NOW,
};

export function sampleRequest(url = "https://receiver.example/hooks/loyalty"): OutgoingRequest {
  return {
    method: "POST",
    url,
    headers: {
      "content-type": "application/json",
      "webhook-id": sampleMessage.id,
      "webhook-timestamp": String(Math.floor(FIXED_NOW.getTime() / 1000)),
      "user-agent": "TrustedSitesWebhooks/1.0",
    },
    body: JSON.stringify({ customerId: sampleMessage.customerId, action: sampleMessage.action, points: 120 }),
  };
}

/** A token store that always has a valid token: signing without any network. */
export function cachedTokenStore(accessToken = "cached-access-token"): TokenStore {
  const token: CachedToken = { accessToken, expiresAt: new Date(FIXED_NOW.getTime() + 3_600_000) };
  return { getOrFetch: async () => token, invalidate: async () => {} };
}

export function fixedContext(overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    siteId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    message: sampleMessage,
    now: () => FIXED_NOW,
    fetch: () => Promise.reject(new Error("no network in this test")),
    tokens: cachedTokenStore(),
    ...overrides,
  };
}
