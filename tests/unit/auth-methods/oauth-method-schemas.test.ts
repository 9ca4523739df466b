import { describe, expect, it } from "vitest";
import { jwtMethod } from "@/lib/auth-methods/jwt";
import { oauth2Method } from "@/lib/auth-methods/oauth2";
import { oauth2ClientCredentialsMethod } from "@/lib/auth-methods/oauth2-client-credentials";
import { oauth2JwtPrivateKeyMethod } from "@/lib/auth-methods/oauth2-jwt-private-key";
import type { AuthMethodModule } from "@/lib/auth-methods/types";
import { fixture as jwtFixture, rs256Fixture } from "../../helpers/auth-fixtures/jwt";
import { fixture as oauth2Fixture } from "../../helpers/auth-fixtures/oauth2";
import { fixture as clientCredentialsFixture } from "../../helpers/auth-fixtures/oauth2-client-credentials";
import { es256Fixture, fixture as privateKeyFixture } from "../../helpers/auth-fixtures/oauth2-jwt-private-key";

interface Fixture {
  valid: Record<string, unknown>;
  invalid: readonly { field: string; value: unknown }[];
  secretValues: readonly string[];
}

type AnyMethod = AuthMethodModule<Record<string, unknown>>;

const suites: [string, AnyMethod, Fixture][] = [
  ["jwt HS256", jwtMethod as unknown as AnyMethod, jwtFixture],
  ["jwt RS256", jwtMethod as unknown as AnyMethod, rs256Fixture],
  ["oauth2", oauth2Method as unknown as AnyMethod, oauth2Fixture],
  ["oauth2-client-credentials", oauth2ClientCredentialsMethod as unknown as AnyMethod, clientCredentialsFixture],
  ["oauth2-jwt-private-key RS256", oauth2JwtPrivateKeyMethod as unknown as AnyMethod, privateKeyFixture],
  ["oauth2-jwt-private-key ES256", oauth2JwtPrivateKeyMethod as unknown as AnyMethod, es256Fixture],
];

describe.each(suites)("%s schema", (_name, method, fixture) => {
  it("accepts the valid configuration", () => {
    const result = method.schema.safeParse(fixture.valid);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it.each(fixture.invalid.map((entry) => [entry.field, entry.value] as const))(
    "reports %s = %j at that field, with a message that names the problem and no secret",
    (field, value) => {
      const result = method.schema.safeParse({ ...fixture.valid, [field]: value });
      expect(result.success).toBe(false);
      const issues = result.error!.issues.filter((issue) => issue.path[0] === field);
      expect(issues.length, JSON.stringify(result.error!.issues)).toBeGreaterThan(0);
      for (const issue of result.error!.issues) {
        expect(issue.message).not.toMatch(/^Invalid input/);
        for (const secret of [...fixture.secretValues, ...(typeof value === "string" && value.length > 8 ? [value] : [])]) {
          expect(issue.message).not.toContain(secret);
        }
      }
    },
  );

  it("never throws, whatever it is given", () => {
    for (const input of [null, undefined, 42, "text", [], {}, { ...fixture.valid, secret: 5, privateKey: null, payload: [] }]) {
      expect(() => method.schema.safeParse(input)).not.toThrow();
    }
  });

  it("every secret field is a field of the form, rendered as a secret", () => {
    for (const name of method.secretFields) {
      const field = method.fields.find((candidate) => candidate.name === name);
      expect(field?.kind).toMatch(/secret/);
    }
    for (const field of method.fields) expect(field.help?.length ?? 0).toBeGreaterThan(20);
  });
});

describe("schema details", () => {
  it("jwt: the time to live takes the five units, singular or plural", () => {
    for (const timeToLive of ["1 minute", "5 minutes", "1 hour", "12 hours", "1 day", "2 months", "1 Year", "3years"]) {
      expect(jwtMethod.schema.safeParse({ ...jwtFixture.valid, timeToLive }).success, timeToLive).toBe(true);
    }
    for (const timeToLive of ["5 fortnights", "0 minutes", "minutes", "-5 minutes", "1.5 hours", "11 years", "5 minutes ago"]) {
      const result = jwtMethod.schema.safeParse({ ...jwtFixture.valid, timeToLive });
      expect(result.error?.issues[0]?.path, timeToLive).toEqual(["timeToLive"]);
      expect(result.error?.issues[0]?.message).toMatch(/e\.g\. "5 minutes"/);
    }
  });

  it("jwt: an RS256 secret that is not an RSA key gets a clear message", () => {
    const result = jwtMethod.schema.safeParse(rs256Fixture.valid);
    expect(result.success).toBe(true);
    const ec = jwtMethod.schema.safeParse({ ...rs256Fixture.valid, secret: es256Fixture.valid.privateKey });
    expect(ec.error?.issues).toEqual([
      expect.objectContaining({ path: ["secret"], message: "For RS256, the secret must be an RSA private key in PEM format" }),
    ]);
  });

  it("oauth2-jwt-private-key: mode defaults to jwt-bearer, blank optional fields are absent", () => {
    const withoutMode: Record<string, unknown> = { ...privateKeyFixture.valid };
    delete withoutMode.mode;
    const parsed = oauth2JwtPrivateKeyMethod.schema.parse({ ...withoutMode, keyId: " ", scope: "" });
    expect(parsed.mode).toBe("jwt-bearer");
    expect(parsed.keyId).toBeUndefined();
    expect(parsed.scope).toBeUndefined();
  });

  it("token expiration accepts numeric strings from forms and caps at 1440 / 120 minutes", () => {
    expect(oauth2ClientCredentialsMethod.schema.parse({ ...clientCredentialsFixture.valid, tokenExpiration: "1440" }).tokenExpiration).toBe(1440);
    expect(oauth2JwtPrivateKeyMethod.schema.parse({ ...privateKeyFixture.valid, tokenExpiration: "120" }).tokenExpiration).toBe(120);
    const tooLong = oauth2JwtPrivateKeyMethod.schema.safeParse({ ...privateKeyFixture.valid, tokenExpiration: 121 });
    expect(tooLong.error?.issues[0]?.message).toBe("Token expiration must be between 1 and 120");
  });

  it("oauth2: response type defaults to code; unknown keys such as stored tokens are dropped", () => {
    const rest: Record<string, unknown> = { ...oauth2Fixture.valid };
    delete rest.responseType;
    const parsed = oauth2Method.schema.parse({ ...rest, access_token: "enc:v1:xyz" });
    expect(parsed.responseType).toBe("code");
    expect(parsed).not.toHaveProperty("access_token");
  });
});
