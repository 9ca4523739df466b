import { describe, expect, it } from "vitest";
import { basicMethod } from "@/lib/auth-methods/basic";
import { fixture } from "../../helpers/auth-fixtures/basic";
import { issuesAt, parseErrorText, without } from "../../helpers/schema-issues";
import { jsonRequest } from "../../helpers/signing-context";

describe("basic: the Authorization header", () => {
  it("is Basic base64(user:pass) — RFC 7617's own example", async () => {
    const signed = await basicMethod.authorize(
      jsonRequest("https://example.com/hook"),
      { username: "Aladdin", password: "open sesame" },
    );
    expect(signed.headers.authorization).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  });

  it("encodes non-ASCII as UTF-8 — RFC 7617 §2.1's example", async () => {
    const signed = await basicMethod.authorize(
      jsonRequest("https://example.com/hook"),
      { username: "test", password: "123\u00A3" },
    );
    expect(signed.headers.authorization).toBe("Basic dGVzdDoxMjPCow==");
  });

  it("leaves everything else as it was, and does not mutate its input", async () => {
    const request = jsonRequest("https://example.com/hook");
    const before = structuredClone(request);
    const signed = await basicMethod.authorize(request, fixture.valid);
    expect(request).toEqual(before);
    expect({ ...signed, headers: { ...signed.headers, authorization: undefined } }).toEqual({
      ...request,
      headers: { ...request.headers, authorization: undefined },
    });
  });

  it("replaces an authorization header already present", async () => {
    const request = jsonRequest("https://example.com/hook");
    const signed = await basicMethod.authorize(
      { ...request, headers: { ...request.headers, authorization: "Bearer old" } },
      fixture.valid,
    );
    expect(signed.headers.authorization).toMatch(/^Basic /);
  });
});

describe("basic schema", () => {
  it("accepts a valid configuration, keeping spaces in the password", () => {
    expect(basicMethod.schema.parse(fixture.valid)).toEqual(fixture.valid);
    expect(basicMethod.schema.parse({ username: "u", password: "  pass  " }).password).toBe("  pass  ");
  });

  it.each([
    ["username", "Username is required"],
    ["password", "Password is required"],
  ])("reports a missing %s at its path", (field, message) => {
    expect(issuesAt(basicMethod.schema, without(fixture.valid, field), field)).toEqual([message]);
    expect(issuesAt(basicMethod.schema, { ...fixture.valid, [field]: "" }, field)).toEqual([message]);
  });

  it("rejects a colon in the username (RFC 7617), but not in the password", () => {
    expect(issuesAt(basicMethod.schema, { ...fixture.valid, username: "a:b" }, "username")).toEqual([
      "Username cannot contain a colon (:)",
    ]);
    expect(issuesAt(basicMethod.schema, { ...fixture.valid, password: "a:b" }, "password")).toEqual([]);
  });

  it("rejects control characters without echoing the password", () => {
    const password = "hunter2\nsecret";
    expect(issuesAt(basicMethod.schema, { ...fixture.valid, password }, "password")).toEqual([
      "Password cannot contain control characters",
    ]);
    expect(parseErrorText(basicMethod.schema, { ...fixture.valid, password })).not.toContain("hunter2");
    expect(parseErrorText(basicMethod.schema, { username: "a:b", password: fixture.valid.password })).not.toContain(
      fixture.valid.password,
    );
  });

  it("renders a text username and a secret password", () => {
    expect(basicMethod.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ["username", "text", true],
      ["password", "secret", true],
    ]);
    expect(basicMethod.secretFields).toEqual(["password"]);
  });
});
