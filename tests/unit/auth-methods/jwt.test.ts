import { createHmac, createPrivateKey, createPublicKey, sign as rsaSign } from "node:crypto";
import { compactVerify, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { jwtMethod, parseTimeToLive, type JwtParams } from "@/lib/auth-methods/jwt";
import { AuthorizationError } from "@/lib/auth-methods/types";
import { fixture, rs256Fixture } from "../../helpers/auth-fixtures/jwt";
import { authContext, bearerToken, webhookRequest } from "../../helpers/auth-request";

const NOW = new Date("2026-11-23T12:34:56.789Z");
const IAT = Math.floor(NOW.getTime() / 1000);
const ctx = () =>
  authContext({ now: () => NOW, fetch: () => Promise.reject(new Error("the jwt method needs no network")) });

function params(overrides: Record<string, unknown> = {}): JwtParams {
  return jwtMethod.schema.parse({ ...fixture.valid, ...overrides });
}

async function sign(config: JwtParams) {
  return bearerToken(await jwtMethod.authorize(webhookRequest(), config, ctx()));
}

/** RFC 7515 appendix A.1: an HS256 JWS and its key. */
const RFC7515_A1 = {
  jwk: { kty: "oct", k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow" },
  jws:
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" +
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
};

/** HMAC-SHA256 over "header.payload", computed without jose. */
function hs256Signature(jws: string, key: Buffer) {
  const [header, payload] = jws.split(".");
  return createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url");
}

describe("jwt method", () => {
  it("HS256: a bearer JWT that verifies with the shared secret, carrying the payload, iat and exp", async () => {
    const request = webhookRequest();
    const before = structuredClone(request);
    const signed = await jwtMethod.authorize(request, params(), ctx());
    expect(request).toEqual(before);
    expect(signed.body).toBe(request.body);

    const token = bearerToken(signed);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(fixture.valid.secret), {
      algorithms: ["HS256"],
      currentDate: NOW,
    });
    expect(payload).toEqual({ ...fixture.valid.payload, iat: IAT, exp: IAT + 300 });
  });

  it("HS256: the signature is HMAC-SHA256 of the UTF-8 secret over header.payload (checked without jose)", async () => {
    // The checker reproduces RFC 7515 A.1's signature, then accepts ours.
    expect(hs256Signature(RFC7515_A1.jws, Buffer.from(RFC7515_A1.jwk.k, "base64url"))).toBe(RFC7515_A1.jws.split(".")[2]);
    const secret = "ünïcode secret ✓ 0123456789abcdef";
    const token = await sign(params({ secret }));
    expect(hs256Signature(token, Buffer.from(secret, "utf8"))).toBe(token.split(".")[2]);
  });

  it("RFC 7515 A.1: jose, which signs our tokens, verifies the specification's HS256 example", async () => {
    const key = await importJWK(RFC7515_A1.jwk, "HS256");
    const { payload, protectedHeader } = await compactVerify(RFC7515_A1.jws, key);
    expect(protectedHeader).toEqual({ typ: "JWT", alg: "HS256" });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ iss: "joe", exp: 1300819380, "http://example.com/is_root": true });
    const claims = await jwtVerify(RFC7515_A1.jws, key, { currentDate: new Date(1300819370_000) });
    expect(claims.payload.iss).toBe("joe");
    await expect(jwtVerify(RFC7515_A1.jws, key, { currentDate: new Date(1300819390_000) })).rejects.toThrow(/exp/);
  });

  it("RS256: verifies with the public key, and equals an RSASSA-PKCS1-v1_5 signature made without jose", async () => {
    const token = await sign(params(rs256Fixture.valid));
    const publicKey = createPublicKey(rs256Fixture.valid.secret);
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ["RS256"], currentDate: NOW });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.exp! - payload.iat!).toBe(300);
    const [header, body, signature] = token.split(".");
    // PKCS#1 v1.5 signatures are deterministic: the same key and input give the same bytes.
    const independent = rsaSign("sha256", Buffer.from(`${header}.${body}`), createPrivateKey(rs256Fixture.valid.secret));
    expect(independent.toString("base64url")).toBe(signature);
  });

  it.each([
    ["1 minute", 60],
    ["5 minutes", 300],
    ["1 hour", 3600],
    ["24 hours", 86_400],
    ["7 days", 7 * 86_400],
    ["1 month", 30 * 86_400],
    ["2 months", 60 * 86_400],
    ["1 year", 365 * 86_400],
    ["10 years", 3650 * 86_400],
  ])("time to live %s: exp - iat = %i s (a month is 30 days, a year 365)", async (timeToLive, seconds) => {
    expect(parseTimeToLive(timeToLive)).toBe(seconds);
    const { payload } = await jwtVerify(await sign(params({ timeToLive })), new TextEncoder().encode(fixture.valid.secret), {
      currentDate: NOW,
    });
    expect(payload.iat).toBe(IAT);
    expect(payload.exp! - payload.iat!).toBe(seconds);
  });

  it("signs anew for every request (no token store involved), from the context's clock", async () => {
    const later = new Date(NOW.getTime() + 60_000);
    const token = bearerToken(await jwtMethod.authorize(webhookRequest(), params(), authContext({ now: () => later })));
    const { payload } = await jwtVerify(token, new TextEncoder().encode(fixture.valid.secret), { currentDate: later });
    expect(payload.iat).toBe(IAT + 60);
  });

  it("a key that slipped past the schema fails the attempt without showing the key", async () => {
    const broken = { ...params(rs256Fixture.valid), secret: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" };
    const error = await jwtMethod.authorize(webhookRequest(), broken, ctx()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toBe("the RS256 secret must be an RSA private key in PEM format");
  });
});
