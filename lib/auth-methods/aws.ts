import { z } from "zod";
import { explainEscherRequest, signEscherRequest } from "./aws/escher-signer";
import { awsCredentialFields, awsCredentialsSchema, optionalText, scopePart } from "./aws/fields";
import { signingExplanation } from "./aws/explanation";
import { explainAwsV4, fromAmzDate, signAwsV4, type AwsCredentials, type AwsScope } from "./aws/sigv4";
import type { AuthMethodModule, Explanation, OutgoingRequest } from "./types";

export { signAwsV4 } from "./aws/sigv4";

const ALPHANUMERIC = /^[A-Za-z0-9]+$/;

const awsSchema = z
  .object({
    region: scopePart("Region"),
    service: scopePart("Service"),
    ...awsCredentialsSchema,
    algorithmPrefix: optionalText(ALPHANUMERIC, "Algorithm prefix may only contain letters and digits"),
    vendorKey: optionalText(ALPHANUMERIC, "Vendor key may only contain letters and digits"),
  })
  .superRefine((params, ctx) => {
    if (params.algorithmPrefix && !params.vendorKey) {
      ctx.addIssue({ code: "custom", path: ["vendorKey"], message: "Vendor key is required when an algorithm prefix is set" });
    }
    if (params.vendorKey && !params.algorithmPrefix) {
      ctx.addIssue({ code: "custom", path: ["algorithmPrefix"], message: "Algorithm prefix is required when a vendor key is set" });
    }
  });

export type AwsParams = z.output<typeof awsSchema>;

export interface SigV4Variant {
  /** Replaces `AWS4` (upper-cased in the algorithm and key, lower-cased in the scope). */
  algorithmPrefix: string;
  /** Replaces `Amz` in the header names. */
  vendorKey: string;
}

/**
 * The SigV4 family member of Escher and `curl --aws-sigv4 "<prefix>:<vendor>:…"`: algorithm
 * `<PREFIX>-HMAC-SHA256`, key seeded with `<PREFIX>` + secret, scope `<region>/<service>/<prefix>_request`,
 * date in `x-<vendor>-date` and the signature in `x-<vendor>-auth` (escher-auth's convention).
 */
export function signSigV4Variant(
  request: OutgoingRequest,
  variant: SigV4Variant,
  credentials: AwsCredentials,
  scope: AwsScope,
  now: Date,
): OutgoingRequest {
  const { escherRequest, config, headerNames } = variantSigning(request, variant, credentials, scope);
  const signed = signEscherRequest(escherRequest, config, now, headerNames);
  // The HTTP client sends `host` from the URL.
  return { ...request, headers: Object.fromEntries(signed.headers.filter(([name]) => name !== "host")) };
}

/** What escher-auth signs for `request`: its own date and auth headers and `host` left out, to be set by the signer. */
function variantSigning(request: OutgoingRequest, variant: SigV4Variant, credentials: AwsCredentials, scope: AwsScope) {
  const prefix = variant.algorithmPrefix.toUpperCase();
  const vendor = variant.vendorKey.toLowerCase();
  const dateHeaderName = `x-${vendor}-date`;
  const authHeaderName = `x-${vendor}-auth`;
  const url = new URL(request.url);
  const headers = Object.entries(request.headers).filter(
    ([name]) => name !== dateHeaderName && name !== authHeaderName && name !== "host",
  );
  return {
    dateHeaderName,
    authHeaderName,
    escherRequest: { method: request.method, url: url.pathname + url.search, headers: [["host", url.host], ...headers] as [string, string][], body: request.body },
    config: {
      algoPrefix: prefix,
      vendorKey: variant.vendorKey,
      credentialScope: `${scope.region}/${scope.service}/${prefix.toLowerCase()}_request`,
      accessKeyId: credentials.accessKeyId,
      apiSecret: credentials.secretAccessKey,
      authHeaderName,
      dateHeaderName,
    },
    headerNames: headers.map(([name]) => name),
  };
}

/** The canonical request and string to sign of a request as sent, and whether they give the signature it carries. */
async function explainAws(sent: OutgoingRequest, params: AwsParams): Promise<Explanation> {
  const credentials = { accessKeyId: params.accessKeyId, secretAccessKey: params.secretAccessKey };
  const scope = { region: params.region, service: params.service };
  const { algorithmPrefix, vendorKey } = params;
  if (algorithmPrefix && vendorKey) {
    const { escherRequest, config, headerNames, dateHeaderName, authHeaderName } = variantSigning(
      sent, { algorithmPrefix, vendorKey }, credentials, scope,
    );
    const signedAt = fromAmzDate(sent.headers[dateHeaderName] ?? "");
    const explained = explainEscherRequest(escherRequest, config, signedAt, headerNames);
    return signingExplanation(
      `Signed with ${config.algoPrefix}-HMAC-SHA256 (a SigV4 variant, escher-auth), scope ${config.credentialScope}`,
      explained.canonicalRequest,
      explained.stringToSign,
      explained.authHeader === sent.headers[authHeaderName],
      authHeaderName,
    );
  }
  const explained = await explainAwsV4(sent, credentials, scope);
  return signingExplanation(
    `Signed with AWS Signature V4 (aws4fetch), scope ${params.region}/${params.service}/aws4_request`,
    explained.canonicalRequest,
    explained.stringToSign,
    explained.authorization === sent.headers.authorization,
    "authorization",
  );
}

export const awsMethod = {
  method: "aws",
  label: "AWS Signature V4",
  description:
    "Signs each request with AWS Signature Version 4 (API Gateway, Lambda function URLs, …), " +
    "or with a SigV4-style variant such as Escher that uses its own algorithm prefix and header names.",
  schema: awsSchema,
  secretFields: ["secretAccessKey"],
  fields: [
    {
      name: "region",
      label: "Region",
      help: "The region in the credential scope, e.g. eu-west-1 for AWS, or the first part of the scope your receiver expects (eu in eu/suite/ems_request).",
      kind: "text",
      required: true,
      placeholder: "eu-west-1",
    },
    {
      name: "service",
      label: "Service",
      help: "The service signing name, e.g. execute-api for API Gateway or lambda for Lambda function URLs (suite in eu/suite/ems_request).",
      kind: "text",
      required: true,
      placeholder: "execute-api",
    },
    ...awsCredentialFields,
    {
      name: "algorithmPrefix",
      label: "Algorithm prefix",
      help:
        'Leave empty for AWS. For SigV4-style receivers such as Escher, or curl --aws-sigv4 "<prefix>:<vendor>:…": ' +
        'replaces "AWS4". Prefix EMS gives the algorithm EMS-HMAC-SHA256, a signing key seeded with "EMS" + secret, ' +
        "and a credential scope ending in ems_request. Letters and digits; upper-cased. Set together with the vendor key.",
      kind: "text",
      required: false,
      placeholder: "EMS",
    },
    {
      name: "vendorKey",
      label: "Vendor key",
      help:
        'Leave empty for AWS. Replaces "Amz" in the header names: vendor key Ems sends the date in X-Ems-Date and the ' +
        "signature in X-Ems-Auth (instead of X-Amz-Date and Authorization). Letters and digits. Set together with the algorithm prefix.",
      kind: "text",
      required: false,
      placeholder: "Ems",
    },
  ],
  async authorize(request, params, ctx) {
    const credentials = { accessKeyId: params.accessKeyId, secretAccessKey: params.secretAccessKey };
    const scope = { region: params.region, service: params.service };
    const { algorithmPrefix, vendorKey } = params;
    if (algorithmPrefix && vendorKey) {
      return signSigV4Variant(request, { algorithmPrefix, vendorKey }, credentials, scope, ctx.now());
    }
    return signAwsV4(request, credentials, scope, ctx.now());
  },
  explain: (sent, params) => explainAws(sent, params),
} satisfies AuthMethodModule<AwsParams>;
