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

/**
 * Signs with AWS Signature V4 (aws4fetch), every header included so `content-type` is signed too.
 * Adds `x-amz-date` and `authorization`; `host` is signed from the URL and left to the HTTP client.
 */
export async function signAwsV4<R extends SignableRequest>(
  request: R,
  credentials: AwsCredentials,
  scope: AwsScope,
  now: Date,
  options: { singleEncodePath?: boolean } = {},
): Promise<R> {
  // With allHeaders, aws4fetch would sign an Authorization header already present, then replace it.
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== "authorization"));
  const signer = new AwsV4Signer({
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
  const signed = await signer.sign();
  return { ...request, headers: Object.fromEntries(signed.headers) };
}
