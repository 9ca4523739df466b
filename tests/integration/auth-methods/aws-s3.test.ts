import { createHash } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsS3Method, type AwsS3Params } from "@/lib/auth-methods/aws-s3";
import type { OutgoingRequest } from "@/lib/auth-methods/types";
import { sigV4Verifier } from "../../helpers/aws-verifiers";
import { deliver, startReceiver, type Receiver } from "../../helpers/http-receiver";
import { startS3Server, type S3Server } from "../../helpers/s3-server";
import { jsonRequest, message, signingContext } from "../../helpers/signing-context";

const BUCKET = "webhook-archive";
// Characters S3 signing gets wrong when it encodes twice or not at all: !'()* space + = & : ~ and non-ASCII.
const FILENAME_FORMAT = "{action}/it's (quoted)!*/{customerId} a+b=c&d~e {yyyy}-{MM}-{dd}T{HH}:{mm}:{ss} ünï 東京/{messageId}.json";
const EXPECTED_KEY = `contact.created/it's (quoted)!*/c-4711 a+b=c&d~e 2026-03-07T08:05:09 ünï 東京/${message.id}.json`;
const PAYLOAD = { event: "contact.created", name: "Zoë Ñúñez", note: "🔑 £ 東京" };

describe("aws-s3: delivering into @20minutes/s3rver", () => {
  let s3: S3Server;
  let params: AwsS3Params;

  beforeAll(async () => {
    s3 = await startS3Server([BUCKET]);
    params = awsS3Method.schema.parse({
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      filenameFormat: FILENAME_FORMAT,
    });
  });
  afterAll(() => s3?.close());

  const put = (secret = params.secretAccessKey) =>
    awsS3Method.authorize(
      jsonRequest(`${s3.url}/${BUCKET}`, PAYLOAD),
      { ...params, secretAccessKey: secret },
      signingContext(new Date()),
    );

  it("stores the payload under the key from the filename format, byte-identical", async () => {
    const request = await put();
    const response = await deliver(request);
    expect(response.status, await response.text()).toBe(200);

    expect(await s3.keys(BUCKET)).toContain(EXPECTED_KEY);
    expect(await s3.storedObject(BUCKET, EXPECTED_KEY)).toEqual(Buffer.from(request.body, "utf8"));

    // Read back over HTTP, signed by the official AWS signer.
    const url = new URL(request.url);
    const get = await new SignatureV4({
      service: "s3",
      region: "us-east-1",
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      sha256: Sha256,
      uriEscapePath: false,
    }).sign({ method: "GET", protocol: "http:", hostname: url.hostname, path: url.pathname, query: {}, headers: { host: url.host } });
    const readBack = await fetch(request.url, { headers: get.headers, signal: AbortSignal.timeout(5_000) });
    expect(readBack.status).toBe(200);
    expect(Buffer.from(await readBack.arrayBuffer())).toEqual(Buffer.from(JSON.stringify(PAYLOAD), "utf8"));
  });

  it("is refused (403 SignatureDoesNotMatch) with the wrong secret", async () => {
    const response = await deliver(await put("not-the-secret"));
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("SignatureDoesNotMatch");
  });
});

describe("aws-s3: a receiver verifying with the official AWS signer (@smithy/signature-v4, S3 mode)", () => {
  const params: AwsS3Params = {
    service: "s3",
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "s3-receiver-secret",
    filenameFormat: FILENAME_FORMAT,
    region: "eu-central-1",
  };
  let receiver: Receiver;
  let request: OutgoingRequest;

  beforeAll(async () => {
    receiver = await startReceiver(
      sigV4Verifier({
        region: "eu-central-1",
        service: "s3",
        secrets: { [params.accessKeyId]: params.secretAccessKey },
        uriEscapePath: false,
        requireBodyHash: true,
      }),
    );
    request = await awsS3Method.authorize(jsonRequest(`${receiver.url}/${BUCKET}/`, PAYLOAD), params, signingContext(new Date()));
  });
  afterAll(() => receiver.close());

  it("accepts the PUT: the body hash header is the real SHA-256 and the signature validates", async () => {
    const response = await deliver(request);
    expect(receiver.decisions.at(-1)!.decision).toEqual({ accepted: true, reason: params.accessKeyId });
    expect(response.status).toBe(200);
    const { request: received } = receiver.decisions.at(-1)!;
    expect(received.method).toBe("PUT");
    expect(decodeURIComponent(received.path)).toBe(`/${BUCKET}/${EXPECTED_KEY}`);
  });

  it("rejects a tampered body (the hash no longer matches)", async () => {
    await deliver({ ...request, body: request.body.replace("Zoë", "Zoe") });
    expect(receiver.decisions.at(-1)!.decision).toEqual({
      accepted: false,
      reason: "x-amz-content-sha256 does not match the body",
    });
  });

  it("rejects a tampered body that comes with its own matching hash (the signature no longer matches)", async () => {
    const body = request.body.replace("Zoë", "Zoe");
    const hash = createHash("sha256").update(body).digest("hex");
    await deliver({ ...request, body, headers: { ...request.headers, "x-amz-content-sha256": hash } });
    expect(receiver.decisions.at(-1)!.decision).toEqual({ accepted: false, reason: "signature does not match" });
  });
});
