import { AwsV4Signer } from "aws4fetch";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AwsScope {
  region: string;
  service: string;
}

/** Any HTTP request (the AWS test vectors use GET, so this is wider than OutgoingRequest). */
export interface SignableRequest {
  method: string;
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** The ISO 8601 basic format SigV4 uses (`20150830T123600Z`). */
export function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

export interface SigV4Options {
  singleEncodePath?: boolean;
}

function signerFor(request: SignableRequest, credentials: AwsCredentials, scope: AwsScope, now: Date, options: SigV4Options) {
  // With allHeaders, aws4fetch would sign an Authorization header already present, then replace it.
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== "authorization"));
  return new AwsV4Signer({
    method: request.method,
    url: request.url,
    headers,
    body: request.body,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    region: scope.region,
    service: scope.service,
    datetime: toAmzDate(now),
    allHeaders: true,
    singleEncode: options.singleEncodePath,
  });
}

/**
 * Signs with AWS Signature V4 (aws4fetch), every header included so `content-type` is signed too.
 * Adds `x-amz-date` and `authorization`; `host` is signed from the URL and left to the HTTP client.
 */
export async function signAwsV4<R extends SignableRequest>(
  request: R,
  credentials: AwsCredentials,
  scope: AwsScope,
  now: Date,
  options: SigV4Options = {},
): Promise<R> {
  const signed = await signerFor(request, credentials, scope, now, options).sign();
  return { ...request, headers: Object.fromEntries(signed.headers) };
}

export interface SigV4Explanation {
  canonicalRequest: string;
  stringToSign: string;
  /** The Authorization header these give; equal to the one sent when nothing changed since signing. */
  authorization: string;
}

/**
 * The canonical request and string to sign of a request signAwsV4 signed, recomputed by the same
 * aws4fetch signer from what was sent (its `x-amz-date` is the signing time).
 */
export async function explainAwsV4(
  sent: SignableRequest,
  credentials: AwsCredentials,
  scope: AwsScope,
  options: SigV4Options = {},
): Promise<SigV4Explanation> {
  const signingTime = fromAmzDate(sent.headers["x-amz-date"] ?? "");
  const signer = signerFor(sent, credentials, scope, signingTime, options);
  return { canonicalRequest: await signer.canonicalString(), stringToSign: await signer.stringToSign(), authorization: await signer.authHeader() };
}

/** `20150830T123600Z` back to a Date (the epoch when it is not one). */
export function fromAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : new Date(0);
}
