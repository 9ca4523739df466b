import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsMethod } from "@/lib/auth-methods/aws";
import type { OutgoingRequest } from "@/lib/auth-methods/types";
import { awsEscherFixture, fixture } from "../../helpers/auth-fixtures/aws";
import { escherVerifier, sigV4Verifier } from "../../helpers/aws-verifiers";
import { deliver, startReceiver, type Receiver } from "../../helpers/http-receiver";
import { jsonRequest, signingContext } from "../../helpers/signing-context";

/** Sends the request and returns the receiver's decision about it. */
async function decisionOn(receiver: Receiver, request: OutgoingRequest) {
  const response = await deliver(request);
  const { decision } = receiver.decisions.at(-1)!;
  expect(response.status).toBe(decision.accepted ? 200 : 401);
  return decision;
}

const withHeader = (request: OutgoingRequest, name: string, value: string) => ({
  ...request,
  headers: { ...request.headers, [name]: value },
});

describe("aws: a receiver verifying with the official AWS signer (@smithy/signature-v4)", () => {
  const params = fixture.valid;
  let receiver: Receiver;
  let request: OutgoingRequest;

  beforeAll(async () => {
    receiver = await startReceiver(
      sigV4Verifier({
        region: params.region,
        service: params.service,
        secrets: { [params.accessKeyId]: params.secretAccessKey },
        uriEscapePath: true,
      }),
    );
    // A path and query that need encoding, so canonicalization is exercised on the wire.
    request = jsonRequest(`${receiver.url}/prod/hooks/contact events/ü?b=2&a=x y&a=1`, { name: "Zoë", points: 12 });
  });
  afterAll(() => receiver.close());

  const sign = (req: OutgoingRequest, secret = params.secretAccessKey, now = new Date()) =>
    awsMethod.authorize(req, { ...params, secretAccessKey: secret }, signingContext(now));

  it("accepts our signed request", async () => {
    expect(await decisionOn(receiver, await sign(request))).toEqual({ accepted: true, reason: params.accessKeyId });
  });

  it("rejects a tampered body", async () => {
    const signed = await sign(request);
    expect(await decisionOn(receiver, { ...signed, body: signed.body.replace("12", "13") })).toEqual({
      accepted: false,
      reason: "signature does not match",
    });
  });

  it("rejects a tampered date", async () => {
    const signed = await sign(request);
    const later = new Date(Date.now() + 60_000).toISOString().replace(/[:-]|\.\d{3}/g, "");
    expect(await decisionOn(receiver, withHeader(signed, "x-amz-date", later))).toEqual({
      accepted: false,
      reason: "signature does not match",
    });
  });

  it("rejects a tampered signed header", async () => {
    const signed = await sign(request);
    expect((await decisionOn(receiver, withHeader(signed, "content-type", "text/plain"))).accepted).toBe(false);
  });

  it("rejects a request signed with the wrong secret", async () => {
    expect(await decisionOn(receiver, await sign(request, "not-the-secret"))).toEqual({
      accepted: false,
      reason: "signature does not match",
    });
  });

  it("rejects a request signed an hour ago", async () => {
    expect(await decisionOn(receiver, await sign(request, params.secretAccessKey, new Date(Date.now() - 3_600_000)))).toEqual({
      accepted: false,
      reason: "request time too skewed",
    });
  });
});

describe("aws vendor variant: a receiver verifying with escher-auth (Escher.authenticate)", () => {
  const params = awsEscherFixture.valid;
  let receiver: Receiver;
  let request: OutgoingRequest;

  beforeAll(async () => {
    receiver = await startReceiver(
      escherVerifier(
        {
          algoPrefix: "EMS",
          vendorKey: "EMS",
          credentialScope: "eu/suite/ems_request",
          authHeaderName: "X-Ems-Auth",
          dateHeaderName: "X-Ems-Date",
        },
        { [params.accessKeyId]: params.secretAccessKey },
      ),
    );
    request = jsonRequest(`${receiver.url}/api/v2/hooks/contact events?b=2&a=x y`, { name: "Zoë", points: 12 });
  });
  afterAll(() => receiver.close());

  const sign = (req: OutgoingRequest, secret = params.secretAccessKey, now = new Date()) =>
    awsMethod.authorize(req, { ...params, secretAccessKey: secret }, signingContext(now));

  it("accepts our signed request", async () => {
    expect(await decisionOn(receiver, await sign(request))).toEqual({ accepted: true, reason: params.accessKeyId });
  });

  it("rejects a tampered body", async () => {
    const signed = await sign(request);
    expect(await decisionOn(receiver, { ...signed, body: signed.body.replace("12", "13") })).toEqual({
      accepted: false,
      reason: "The signatures do not match",
    });
  });

  it("rejects a tampered date", async () => {
    const signed = await sign(request);
    const later = new Date(Date.now() + 60_000).toISOString().replace(/[:-]|\.\d{3}/g, "");
    expect(await decisionOn(receiver, withHeader(signed, "x-ems-date", later))).toEqual({
      accepted: false,
      reason: "The signatures do not match",
    });
  });

  it("rejects a request signed with the wrong secret", async () => {
    expect(await decisionOn(receiver, await sign(request, "not-the-secret"))).toEqual({
      accepted: false,
      reason: "The signatures do not match",
    });
  });

  it("rejects a request signed an hour ago", async () => {
    expect(await decisionOn(receiver, await sign(request, params.secretAccessKey, new Date(Date.now() - 3_600_000)))).toEqual({
      accepted: false,
      reason: "The request date is not within the accepted time range",
    });
  });

  it("rejects another prefix (a receiver expecting EMS does not accept XYZ)", async () => {
    const signed = await awsMethod.authorize(request, { ...params, algorithmPrefix: "XYZ" }, signingContext(new Date()));
    expect((await decisionOn(receiver, signed)).accepted).toBe(false);
  });
});
