import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { oauth2Method } from "@/lib/auth-methods/oauth2";
import { oauth2ClientCredentialsMethod } from "@/lib/auth-methods/oauth2-client-credentials";
import { oauth2JwtPrivateKeyMethod } from "@/lib/auth-methods/oauth2-jwt-private-key";
import type { AuthMethodModule } from "@/lib/auth-methods/types";
import { createMemoryTokenStore } from "@/lib/oauth/token-store";
import { fixture as oauth2Fixture } from "../../helpers/auth-fixtures/oauth2";
import { fixture as clientCredentialsFixture } from "../../helpers/auth-fixtures/oauth2-client-credentials";
import { fixture as privateKeyFixture } from "../../helpers/auth-fixtures/oauth2-jwt-private-key";
import { authContext, webhookRequest } from "../../helpers/auth-request";

const NOW = new Date("2026-11-23T12:34:56Z");
const noNetwork: typeof fetch = () => Promise.reject(new Error("no network"));

const methods = [
  ["oauth2", oauth2Method, oauth2Fixture],
  ["oauth2-client-credentials", oauth2ClientCredentialsMethod, clientCredentialsFixture],
  ["oauth2-jwt-private-key", oauth2JwtPrivateKeyMethod, privateKeyFixture],
] as const;

describe.each(methods)("%s with a cached token", (_name, method, fixture) => {
  const authMethod = method as unknown as AuthMethodModule<Record<string, unknown>>;
  const params = () => authMethod.schema.parse(fixture.valid);

  it("sends the cached token as a bearer token without touching the network", async () => {
    const tokens = createMemoryTokenStore({ now: () => NOW, tokens: { "site-1": { accessToken: "cached", expiresAt: new Date(NOW.getTime() + 3_600_000) } } });
    const request = webhookRequest();
    const signed = await authMethod.authorize(request, params(), authContext({ now: () => NOW, fetch: noNetwork, tokens }));
    expect(signed.headers.authorization).toBe("Bearer cached");
    expect(request.headers.authorization).toBeUndefined();
    expect({ ...signed, headers: { ...signed.headers, authorization: undefined } }).toEqual({
      ...request,
      headers: { ...request.headers, authorization: undefined },
    });
  });

  it("onUnauthorized drops the cached token", async () => {
    const tokens = createMemoryTokenStore({ now: () => NOW, tokens: { "site-1": { accessToken: "cached", expiresAt: new Date(NOW.getTime() + 3_600_000) } } });
    const refused = { ...webhookRequest(), headers: { authorization: "Bearer cached" } };
    await authMethod.onUnauthorized!(authContext({ tokens }), refused);
    expect(tokens.peek("site-1")).toBeUndefined();
  });
});

describe("oauth2-jwt-private-key assertion", () => {
  it("is dated by the context's clock, lives 5 minutes, and carries the scope in jwt-bearer mode", async () => {
    let body = "";
    const tokenEndpoint: typeof fetch = async (_input, init) => {
      body = String(init?.body);
      return Response.json({ access_token: "issued", token_type: "bearer", expires_in: 3600 });
    };
    const params = oauth2JwtPrivateKeyMethod.schema.parse(privateKeyFixture.valid);
    const tokens = createMemoryTokenStore({ now: () => NOW });
    const signed = await oauth2JwtPrivateKeyMethod.authorize(webhookRequest(), params, authContext({ now: () => NOW, fetch: tokenEndpoint, tokens }));
    expect(signed.headers.authorization).toBe("Bearer issued");
    const form = new URLSearchParams(body);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(form.get("scope")).toBe("webhooks:write");
    const claims = decodeJwt(form.get("assertion")!);
    expect(claims).toMatchObject({ iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 300, scope: "webhooks:write" });
    // Cached for tokenExpiration (60 min), not past the server's expires_in (60 min).
    expect(tokens.peek("site-1")!.expiresAt).toEqual(new Date(NOW.getTime() + 3_600_000));
  });
});
