import { describe, expect, it } from "vitest";
import { authMethods } from "@/lib/auth-methods/registry";
import type { AuthMethodModule, OutgoingRequest } from "@/lib/auth-methods/types";
import { authMethodFixtures, fixedContext, sampleRequest } from "../../helpers/auth-fixtures";

/**
 * Every authentication method passes the same checks (as outpost's publisher suite does): the
 * form and the schema agree, bad input is reported at the right field, signing is deterministic
 * and pure, and secrets never leak into errors or onto the wire in clear.
 */
const modules = Object.values(authMethods) as unknown as AuthMethodModule<Record<string, unknown>>[];

describe.each(modules.map((m) => [m.method, m] as const))("%s", (method, module) => {
  const fixture = authMethodFixtures[method];
  const leaks = (text: string) => fixture.secretValues.filter((s) => text.includes(s));
  /** The request without the one header a method sends its secret in as it is (a static API key). */
  const outsideItsHeader = (request: OutgoingRequest): OutgoingRequest => {
    if (!fixture.sentAsIs) return request;
    const headers = { ...request.headers };
    delete headers[fixture.sentAsIs.header];
    return { ...request, headers };
  };

  it("accepts its valid configuration", () => {
    const result = module.schema.safeParse(fixture.valid);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("renders exactly the schema's fields, secrets as secret inputs", () => {
    const shapeKeys = Object.keys(fixture.valid);
    for (const field of module.fields) expect(field.label, field.name).toBeTruthy();
    for (const key of shapeKeys) expect(module.fields.map((f) => f.name)).toContain(key);
    for (const secret of module.secretFields) {
      expect(module.fields.find((f) => f.name === secret)?.kind).toMatch(/secret/);
    }
  });

  it.each(fixture.invalid.map((c) => [c.field, c] as const))("reports a broken %s at that field", (_field, broken) => {
    const result = module.schema.safeParse({ ...fixture.valid, [broken.field]: broken.value });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path[0] === broken.field);
    expect(issue?.message, JSON.stringify(result.error!.issues)).toBeTruthy();
    expect(leaks(JSON.stringify(result.error!.issues))).toEqual([]);
  });

  it("reports every missing required field, without echoing secrets", () => {
    const result = module.schema.safeParse({});
    const required = module.fields.filter((f) => f.required && f.defaultValue === undefined).map((f) => f.name);
    const paths = (result.error?.issues ?? []).map((i) => i.path[0]);
    for (const name of required) expect(paths).toContain(name);
  });

  it("signs deterministically for a fixed clock, without mutating the request", async () => {
    const params = module.schema.parse(fixture.valid);
    const request = sampleRequest();
    const before = structuredClone(request);
    const first = await module.authorize(request, params, fixedContext());
    const second = await module.authorize(sampleRequest(), params, fixedContext());
    expect(request).toEqual(before);
    expect(second).toEqual(first);
    if (fixture.sentAsIs) expect(first.headers[fixture.sentAsIs.header]).toBe(fixture.sentAsIs.value);
    expect(leaks(JSON.stringify(outsideItsHeader(first)))).toEqual([]);
  });

  it("keeps secrets out of the error when credentials cannot be obtained", async () => {
    const params = module.schema.parse(fixture.valid);
    const refusing = fixedContext({
      fetch: async () =>
        new Response(JSON.stringify({ error: "invalid_client", error_description: "client authentication failed" }), {
          status: 401,
          headers: { "content-type": "application/json" },
        }),
      tokens: { getOrFetch: (_site, fetchToken) => fetchToken(null), invalidate: async () => {} },
    });
    const outcome = await module.authorize(sampleRequest(), params, refusing).then(
      (request) => JSON.stringify(outsideItsHeader(request)),
      (error: Error) => `${error.name}: ${error.message} ${error.stack ?? ""}`,
    );
    expect(leaks(outcome)).toEqual([]);
  });
});
