import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauth2JwtPrivateKeyMethod, type OAuth2JwtPrivateKeyParams } from "@/lib/auth-methods/oauth2-jwt-private-key";
import { AuthorizationError, type AuthContext } from "@/lib/auth-methods/types";
import { authContext, bearerToken, webhookRequest } from "../../helpers/auth-request";
import { startOAuthServer, type KeyClient, type OAuthTestServer } from "../../helpers/oauth-server";

let server: OAuthTestServer;

beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(() => server.close());

function params(client: KeyClient, mode: "jwt-bearer" | "client-assertion", overrides: Partial<OAuth2JwtPrivateKeyParams> = {}) {
  return oauth2JwtPrivateKeyMethod.schema.parse({
    tokenUrl: server.tokenUrl,
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: 30,
    clientId: client.clientId,
    privateKey: client.privateKeyPem,
    keyId: client.keyId,
    signAlgorithm: client.algorithm,
    scope: "api:read",
    mode,
    ...overrides,
  });
}

/** Records what our code sends to the token endpoint, passing it on. */
function recordingFetch() {
  const bodies: string[] = [];
  const recorder: typeof fetch = async (input, init) => {
    bodies.push(String(init?.body));
    return fetch(input, init);
  };
  return { fetch: recorder, bodies };
}

const cases = [
  { mode: "jwt-bearer", client: () => server.clients.jwtBearerRs256 },
  { mode: "jwt-bearer", client: () => server.clients.jwtBearerEs256 },
  { mode: "client-assertion", client: () => server.clients.privateKeyRs256 },
  { mode: "client-assertion", client: () => server.clients.privateKeyEs256 },
] as const;

describe("oauth2-jwt-private-key against oidc-provider", () => {
  for (const { mode, client: clientOf } of cases) {
    for (const contentType of ["application/x-www-form-urlencoded", "application/json"] as const) {
      it(`${mode} with ${mode.includes("bearer") ? "its" : "a"} signed assertion, ${contentType}`, async () => {
        const client = clientOf();
        const recorder = recordingFetch();
        const request = webhookRequest();
        const signed = await oauth2JwtPrivateKeyMethod.authorize(
          request,
          params(client, mode, { contentType }),
          authContext({ fetch: recorder.fetch }),
        );
        expect(request.headers.authorization).toBeUndefined();
        expect(await server.introspect(bearerToken(signed))).toMatchObject({ active: true, client_id: client.clientId, scope: "api:read" });

        const sent: Record<string, string> =
          contentType === "application/json" ? JSON.parse(recorder.bodies[0]!) : Object.fromEntries(new URLSearchParams(recorder.bodies[0]));
        const assertion = mode === "jwt-bearer" ? sent.assertion! : sent.client_assertion!;
        if (mode === "jwt-bearer") {
          expect(sent.grant_type).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
        } else {
          expect(sent).toMatchObject({
            grant_type: "client_credentials",
            client_id: client.clientId,
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          });
        }
        expect(decodeProtectedHeader(assertion)).toEqual({ alg: client.algorithm, kid: client.keyId, typ: "JWT" });
        const claims = decodeJwt(assertion);
        expect(claims).toMatchObject({ iss: client.clientId, sub: client.clientId, aud: server.tokenUrl });
        expect(claims.exp! - claims.iat!).toBe(300);
        expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      });
    }
  }

  it("each token request carries a new jti (the server refuses a replayed assertion)", async () => {
    const recorder = recordingFetch();
    const ctx = authContext({ fetch: recorder.fetch });
    const config = params(server.clients.jwtBearerRs256, "jwt-bearer");
    const refused = await oauth2JwtPrivateKeyMethod.authorize(webhookRequest(), config, ctx);
    await oauth2JwtPrivateKeyMethod.onUnauthorized(ctx, refused);
    await oauth2JwtPrivateKeyMethod.authorize(webhookRequest(), config, ctx);
    const jtis = recorder.bodies.map((body) => decodeJwt(new URLSearchParams(body).get("assertion")!).jti);
    expect(jtis).toHaveLength(2);
    expect(jtis[0]).not.toBe(jtis[1]);
  });

  describe("a key the server does not know is refused", () => {
    const strangers = {
      RS256: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      ES256: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
    for (const { mode, client: clientOf } of cases) {
      it(`${mode}, ${mode === "jwt-bearer" ? "invalid_grant" : "invalid_client"}`, async () => {
        const client = clientOf();
        const wrongKey = strangers[client.algorithm];
        const ctx: AuthContext = authContext();
        const error = await oauth2JwtPrivateKeyMethod
          .authorize(webhookRequest(), params(client, mode, { privateKey: wrongKey }), ctx)
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(AuthorizationError);
        const message = (error as Error).message;
        expect(message).toMatch(mode === "jwt-bearer" ? /answered 400 invalid_grant/ : /answered 401 invalid_client/);
        expect(message).not.toContain("PRIVATE KEY");
        for (const line of wrongKey.split("\n").filter((part) => part.length > 20)) expect(message).not.toContain(line);
        expect(message).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no assertion either
      });
    }
  });
});
