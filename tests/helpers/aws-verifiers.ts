import { createHash, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { getCanonicalHeaders, getPayloadHash, SignatureV4 } from "@smithy/signature-v4";
import Escher from "escher-auth";
import type { ReceivedRequest, ReceiverDecision } from "./http-receiver";

const AWS_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60_000;

export interface SigV4VerifierOptions {
  region: string;
  service: string;
  secrets: Record<string, string>;
  /** S3 signs the path as sent (false); other services URI-encode it again (true). */
  uriEscapePath: boolean;
  /** S3: the body hash header must be present and match the body. */
  requireBodyHash?: boolean;
}

function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : new Date(Number.NaN);
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The received request as @smithy/signature-v4 signs one: its query parsed, only the headers it says it signed. */
function signableRequest(received: ReceivedRequest, signedHeaders: string[]): Parameters<SignatureV4["sign"]>[0] {
  const [path, search = ""] = received.path.split(/\?(.*)/s);
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [...[previous].flat(), value];
  }
  return {
    method: received.method,
    protocol: "http:",
    hostname: (received.headers.host ?? "").replace(/:\d+$/, ""),
    path: path!,
    query,
    headers: Object.fromEntries(signedHeaders.map((name) => [name, received.headers[name] ?? ""])),
    body: received.body,
  };
}

/**
 * A SigV4 receiver built on the official AWS implementation: it re-signs what it received with
 * @smithy/signature-v4 over the headers the client says it signed, and compares.
 */
export function sigV4Verifier(options: SigV4VerifierOptions) {
  return async (received: ReceivedRequest): Promise<ReceiverDecision> => {
    const match = AWS_AUTHORIZATION.exec(received.headers.authorization ?? "");
    if (!match) return { accepted: false, reason: "missing or malformed Authorization" };
    const [authorization, accessKeyId, , region, service, signedHeaderList] = match as unknown as string[];
    if (region !== options.region || service !== options.service) {
      return { accepted: false, reason: `wrong scope ${region}/${service}` };
    }
    const secretAccessKey = options.secrets[accessKeyId!];
    if (!secretAccessKey) return { accepted: false, reason: "unknown access key" };

    const signingDate = parseAmzDate(received.headers["x-amz-date"] ?? "");
    if (!(Math.abs(Date.now() - signingDate.getTime()) <= MAX_SKEW_MS)) {
      return { accepted: false, reason: "request time too skewed" };
    }
    const bodyHash = received.headers["x-amz-content-sha256"];
    if (options.requireBodyHash || bodyHash !== undefined) {
      const actual = createHash("sha256").update(received.body, "utf8").digest("hex");
      if (bodyHash !== actual) return { accepted: false, reason: "x-amz-content-sha256 does not match the body" };
    }

    const signedHeaders = signedHeaderList!.split(";");
    const signer = new SignatureV4({
      service,
      region,
      credentials: { accessKeyId: accessKeyId!, secretAccessKey },
      sha256: Sha256,
      uriEscapePath: options.uriEscapePath,
      applyChecksum: false,
    });
    const resigned = await signer.sign(signableRequest(received, signedHeaders), { signingDate, signableHeaders: new Set(signedHeaders) });
    return sameText(resigned.headers.authorization ?? "", authorization!)
      ? { accepted: true, reason: accessKeyId! }
      : { accepted: false, reason: "signature does not match" };
  };
}

/** A receiver that authenticates with escher-auth's own verifier (`Escher.authenticate`). */
export function escherVerifier(config: Partial<Escher.Config>, secrets: Record<string, string>) {
  return (received: ReceivedRequest): ReceiverDecision => {
    try {
      const accessKeyId = Escher.create(config).authenticate(
        { method: received.method, url: received.path, headers: received.rawHeaders, body: received.body },
        (keyId) => secrets[keyId],
      );
      return { accepted: true, reason: accessKeyId };
    } catch (error) {
      return { accepted: false, reason: (error as Error).message };
    }
  };
}

/** The official signer's own canonical request and string to sign (protected in @smithy/signature-v4: reached through a subclass). */
class ExplainingSignatureV4 extends SignatureV4 {
  async explain(request: Parameters<SignatureV4["sign"]>[0], signedHeaders: string[], longDate: string, scope: string) {
    const canonicalRequest = this.createCanonicalRequest(
      request,
      getCanonicalHeaders(request, undefined, new Set(signedHeaders)),
      await getPayloadHash(request, Sha256),
    );
    return { canonicalRequest, stringToSign: await this.createStringToSign(longDate, scope, canonicalRequest, "AWS4-HMAC-SHA256") };
  }
}

/**
 * What a SigV4 receiver computes for a request it received: @smithy/signature-v4's canonical
 * request and string to sign, over the headers the request says it signed.
 */
export async function receiverStringToSign(received: ReceivedRequest, options: { uriEscapePath: boolean }) {
  const match = AWS_AUTHORIZATION.exec(received.headers.authorization ?? "");
  if (!match) throw new Error("no SigV4 Authorization header");
  const [, accessKeyId, date, region, service, signedHeaderList] = match as unknown as string[];
  const signedHeaders = signedHeaderList!.split(";");
  const signer = new ExplainingSignatureV4({
    service: service!,
    region: region!,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: "not needed for the string to sign" },
    sha256: Sha256,
    uriEscapePath: options.uriEscapePath,
    applyChecksum: false,
  });
  return signer.explain(
    signableRequest(received, signedHeaders),
    signedHeaders,
    received.headers["x-amz-date"] ?? "",
    `${date}/${region}/${service}/aws4_request`,
  );
}
