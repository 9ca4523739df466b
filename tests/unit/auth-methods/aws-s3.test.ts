import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { awsS3Method, objectUrl, regionFromS3Url, type AwsS3Params } from "@/lib/auth-methods/aws-s3";
import {
  buildObjectKey,
  encodeObjectKey,
  filenameFormatProblem,
  OBJECT_KEY_PLACEHOLDERS,
} from "@/lib/auth-methods/s3-object-key";
import { fixture } from "../../helpers/auth-fixtures/aws-s3";
import { sigV4Verifier } from "../../helpers/aws-verifiers";
import { issuesAt, parseErrorText, without } from "../../helpers/schema-issues";
import { jsonRequest, message, signingContext } from "../../helpers/signing-context";

const now = new Date("2026-03-07T10:00:00Z");

describe("s3 object keys", () => {
  it("fills every placeholder from the message, dates in UTC", () => {
    const format = Object.keys(OBJECT_KEY_PLACEHOLDERS)
      .map((name) => `{${name}}`)
      .join("|");
    expect(buildObjectKey(format, message)).toBe(
      `${message.id}|contact.created|c-4711|2026|03|07|08|05|09|${message.createdAt.getTime()}`,
    );
  });

  it("uses UTC even where the local date differs, and pads the year", () => {
    const lateNight = { ...message, createdAt: new Date("0999-12-31T23:59:59.000Z") };
    expect(buildObjectKey("{yyyy}-{MM}-{dd} {HH}:{mm}:{ss}", lateNight)).toBe("0999-12-31 23:59:59");
  });

  it.each([
    ["{messageid}.json", "Unknown placeholder {messageid} at character 1"],
    ["logs/{date}/x", "Unknown placeholder {date} at character 6"],
    ["{}", "Unknown placeholder {} at character 1"],
    ["{yyyy/{messageId}", 'Unbalanced "{" at character 1'],
    ["{yyyy}}", 'Unbalanced "}" at character 7'],
    ["{messageId", 'Unbalanced "{" at character 1'],
    ["a}b", 'Unbalanced "}" at character 2'],
  ])("rejects %j, saying where", (format, message) => {
    expect(filenameFormatProblem(format)).toContain(message);
  });

  it.each(["/{messageId}", "{yyyy}//{messageId}", "{yyyy}/", "./{messageId}", "a/../{messageId}"])(
    "rejects %j, which makes keys a URL cannot carry as they are",
    (format) => {
      expect(filenameFormatProblem(format)).toMatch(/^The filename format makes object keys that has an empty/);
    },
  );

  it("accepts the default and free text around placeholders", () => {
    expect(filenameFormatProblem("{yyyy}/{MM}/{dd}/{action}/{messageId}.json")).toBeUndefined();
    expect(filenameFormatProblem("exports/customer {customerId} (all) - {timestamp}.json")).toBeUndefined();
  });

  it("refuses to build a key the message's values break", () => {
    expect(() => buildObjectKey("{customerId}/{messageId}", { ...message, customerId: ".." })).toThrow(
      /has an empty, "\." or "\.\." segment/,
    );
    expect(() => buildObjectKey("{customerId}", { ...message, customerId: "x".repeat(1025) })).toThrow(
      /longer than 1024 bytes/,
    );
  });

  it("RFC 3986-encodes each segment, !'()* included, and keeps the slashes", () => {
    expect(encodeObjectKey("a b/it's (x)!*/ü+~=&:.json")).toBe("a%20b/it%27s%20%28x%29%21%2A/%C3%BC%2B~%3D%26%3A.json");
  });

  it("appends the encoded key to the site URL's path", () => {
    expect(objectUrl("https://bucket.s3.amazonaws.com", "a b/c").toString()).toBe("https://bucket.s3.amazonaws.com/a%20b/c");
    expect(objectUrl("https://s3.amazonaws.com/bucket/prefix/", "(1)").toString()).toBe(
      "https://s3.amazonaws.com/bucket/prefix/%281%29",
    );
  });
});

describe("s3 endpoint regions", () => {
  it.each([
    ["https://bucket.s3.eu-west-1.amazonaws.com", "eu-west-1"],
    ["https://s3.eu-west-1.amazonaws.com/bucket", "eu-west-1"],
    ["https://bucket.s3-eu-west-1.amazonaws.com", "eu-west-1"],
    ["https://s3-ap-southeast-2.amazonaws.com/bucket", "ap-southeast-2"],
    ["https://my.bucket.s3.dualstack.us-west-2.amazonaws.com", "us-west-2"],
    ["https://bucket.s3-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"],
    ["https://bucket.s3.cn-north-1.amazonaws.com.cn", "cn-north-1"],
    ["https://bucket.s3.amazonaws.com", undefined],
    ["https://s3-external-1.amazonaws.com/bucket", undefined],
    ["https://minio.example.com/bucket", undefined],
    ["https://s3.eu-west-1.amazonaws.com.evil.example/bucket", undefined],
  ])("%s → %s", (url, region) => {
    expect(regionFromS3Url(new URL(url))).toBe(region);
  });
});

describe("aws-s3 authorize", () => {
  const params = awsS3Method.schema.parse(fixture.valid);
  const scopeOf = (authorization = "") => /Credential=[^/]+\/\d{8}\/([^,]+), /.exec(authorization)?.[1];

  it("PUTs the payload to <URL>/<key>, with the body's SHA-256, everything signed", async () => {
    const request = jsonRequest("https://archive.example.com/bucket");
    const signed = await awsS3Method.authorize(request, params, signingContext(now));
    const key = `webhooks/2026/03/07/contact.created-${message.id}.json`;
    expect(signed.method).toBe("PUT");
    expect(signed.url).toBe(`https://archive.example.com/bucket/${key}`);
    expect(signed.body).toBe(request.body);
    expect(signed.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(request.body).digest("hex"));
    expect(signed.headers["x-amz-date"]).toBe("20260307T100000Z");
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20260307\/eu-central-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-webhook-id, Signature=[0-9a-f]{64}$/,
    );
  });

  it("takes the region from the URL when it names one, else the setting, else us-east-1", async () => {
    const sign = (url: string, p: AwsS3Params) => awsS3Method.authorize(jsonRequest(url), p, signingContext(now));
    const withoutRegion = { ...params, region: undefined };
    expect(scopeOf((await sign("https://b.s3.eu-west-1.amazonaws.com", params)).headers.authorization)).toBe("eu-west-1/s3/aws4_request");
    expect(scopeOf((await sign("https://s3-sa-east-1.amazonaws.com/b", params)).headers.authorization)).toBe("sa-east-1/s3/aws4_request");
    expect(scopeOf((await sign("https://b.s3.amazonaws.com", params)).headers.authorization)).toBe("eu-central-1/s3/aws4_request");
    expect(scopeOf((await sign("https://b.s3.amazonaws.com", withoutRegion)).headers.authorization)).toBe("us-east-1/s3/aws4_request");
  });

  it.each(["s3", "storage"])("signs the key's path exactly as it goes on the wire (service %s)", async (service) => {
    const p = { ...params, service, filenameFormat: "it's (a) {action}!*/ü+x.json" };
    const signed = await awsS3Method.authorize(jsonRequest("https://x.example/b"), p, signingContext(new Date()));
    const url = new URL(signed.url);
    expect(url.pathname).toBe("/b/it%27s%20%28a%29%20contact.created%21%2A/%C3%BC%2Bx.json");
    const verify = sigV4Verifier({
      region: "eu-central-1",
      service,
      secrets: { [p.accessKeyId]: p.secretAccessKey },
      uriEscapePath: false,
      requireBodyHash: true,
    });
    const received = { ...signed, path: url.pathname, headers: { ...signed.headers, host: url.host }, rawHeaders: [] };
    expect(await verify(received)).toEqual({ accepted: true, reason: p.accessKeyId });
  });

  it("is deterministic for a fixed clock and does not mutate its input", async () => {
    const request = jsonRequest("https://archive.example.com/bucket");
    const before = structuredClone(request);
    const first = await awsS3Method.authorize(request, params, signingContext(now));
    expect(await awsS3Method.authorize(request, params, signingContext(now))).toEqual(first);
    expect(request).toEqual(before);
    expect(JSON.stringify(first)).not.toContain(params.secretAccessKey);
  });
});

describe("aws-s3 schema", () => {
  it("accepts a valid configuration and defaults the service to s3", () => {
    expect(awsS3Method.schema.parse(fixture.valid)).toEqual(fixture.valid);
    const minimal = without(fixture.valid, "service", "region");
    expect(awsS3Method.schema.parse({ ...minimal, region: "" })).toEqual({ ...minimal, service: "s3" });
  });

  it.each([
    ["accessKeyId", "Access key ID is required"],
    ["secretAccessKey", "Secret access key is required"],
    ["filenameFormat", "Filename format is required"],
  ])("reports a missing %s at its path", (field, text) => {
    expect(issuesAt(awsS3Method.schema, without(fixture.valid, field), field)).toEqual([text]);
  });

  it("reports a blank service", () => {
    expect(issuesAt(awsS3Method.schema, { ...fixture.valid, service: " " }, "service")).toEqual(["Service is required"]);
  });

  it("names an unknown placeholder at save time", () => {
    expect(issuesAt(awsS3Method.schema, { ...fixture.valid, filenameFormat: "{yyyy}/{bogus}.json" }, "filenameFormat")).toEqual([
      expect.stringMatching(/^Unknown placeholder \{bogus\} at character 8; available: \{messageId\}, \{action\}/),
    ]);
  });

  it("never puts the secret into error messages", () => {
    for (const broken of [{ filenameFormat: "{oops" }, { accessKeyId: "" }, { region: "eu/1" }]) {
      expect(parseErrorText(awsS3Method.schema, { ...fixture.valid, ...broken })).not.toContain(fixture.valid.secretAccessKey);
    }
  });

  it("offers a form field for every parameter, with help; the secret as a secret input", () => {
    expect(awsS3Method.fields.map((f) => f.name).sort()).toEqual(
      ["accessKeyId", "filenameFormat", "region", "secretAccessKey", "service"].sort(),
    );
    expect(awsS3Method.fields.every((f) => f.help)).toBe(true);
    expect(awsS3Method.fields.find((f) => f.name === "filenameFormat")?.help).toContain("{timestamp}");
    expect(awsS3Method.secretFields).toEqual(["secretAccessKey"]);
  });
});
