import { createHash } from "node:crypto";
import { z } from "zod";
import { awsCredentialFields, awsCredentialsSchema, optionalScopePart, scopePart } from "./aws/fields";
import { explainAwsV4, signAwsV4 } from "./aws/sigv4";
import { signingExplanation } from "./aws/explanation";
import { buildObjectKey, encodeObjectKey, FILENAME_FORMAT_HELP, filenameFormatSchema } from "./s3-object-key";
import type { AuthMethodModule, OutgoingRequest } from "./types";

const DEFAULT_REGION = "us-east-1";
const DEFAULT_FILENAME_FORMAT = "{yyyy}/{MM}/{dd}/{action}/{messageId}.json";

const awsS3Schema = z.object({
  service: scopePart("Service").default("s3"),
  ...awsCredentialsSchema,
  filenameFormat: filenameFormatSchema("Filename format"),
  region: optionalScopePart("Region"),
});

export type AwsS3Params = z.output<typeof awsS3Schema>;

// bucket.s3.eu-west-1…, s3.eu-west-1…/bucket, s3-eu-west-1…, s3.dualstack.eu-west-1…, s3-fips.…, ….amazonaws.com.cn
const S3_HOST_WITH_REGION =
  /(?:^|\.)s3(?:-fips)?(?:[.-]dualstack)?[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/** The region an S3 endpoint URL names, if it names one. */
export function regionFromS3Url(url: URL): string | undefined {
  return S3_HOST_WITH_REGION.exec(url.hostname)?.[1];
}

/** The region in the URL, else the configured one, else us-east-1. */
function signingRegion(url: URL, params: AwsS3Params): string {
  return regionFromS3Url(url) ?? params.region ?? DEFAULT_REGION;
}

/** `<site URL>/<object key>`, the key RFC 3986-encoded so the path is already S3's canonical form. */
export function objectUrl(siteUrl: string, key: string): URL {
  const url = new URL(siteUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${encodeObjectKey(key)}`;
  return url;
}

export const awsS3Method = {
  method: "aws-s3",
  label: "Amazon S3 upload",
  description:
    "Stores each message as an object in an S3 bucket (or an S3-compatible store): a PUT of the payload " +
    "to <URL>/<object key>, signed with AWS Signature V4.",
  schema: awsS3Schema,
  secretFields: ["secretAccessKey"],
  fields: [
    {
      name: "service",
      label: "Service",
      help: "The signing name: s3 for Amazon S3 and most S3-compatible stores.",
      kind: "text",
      required: true,
      defaultValue: "s3",
    },
    ...awsCredentialFields,
    {
      name: "filenameFormat",
      label: "Filename format",
      help: FILENAME_FORMAT_HELP,
      kind: "text",
      required: true,
      placeholder: DEFAULT_FILENAME_FORMAT,
      defaultValue: DEFAULT_FILENAME_FORMAT,
    },
    {
      name: "region",
      label: "Region",
      help:
        "The bucket's region, e.g. eu-west-1. Used only when the site URL does not name one: " +
        `https://bucket.s3.eu-west-1.amazonaws.com uses eu-west-1 whatever is set here. Default: ${DEFAULT_REGION}.`,
      kind: "text",
      required: false,
      placeholder: DEFAULT_REGION,
    },
  ],
  async authorize(request, params, ctx) {
    const url = objectUrl(request.url, buildObjectKey(params.filenameFormat, ctx.message));
    const region = signingRegion(url, params);
    const bodyHash = createHash("sha256").update(request.body, "utf8").digest("hex");
    const put: OutgoingRequest = {
      method: "PUT",
      url: url.toString(),
      headers: { ...request.headers, "x-amz-content-sha256": bodyHash },
      body: request.body,
    };
    return signAwsV4(
      put,
      { accessKeyId: params.accessKeyId, secretAccessKey: params.secretAccessKey },
      { region, service: params.service },
      ctx.now(),
      // aws4fetch knows that S3 paths are encoded once only for the service name "s3"; the path already is.
      { singleEncodePath: params.service !== "s3" },
    );
  },
  async explain(sent, params) {
    const region = signingRegion(new URL(sent.url), params);
    const explained = await explainAwsV4(
      sent,
      { accessKeyId: params.accessKeyId, secretAccessKey: params.secretAccessKey },
      { region, service: params.service },
      { singleEncodePath: params.service !== "s3" },
    );
    return signingExplanation(
      `PUT of the object ${new URL(sent.url).pathname}, signed with AWS Signature V4 (aws4fetch), scope ${region}/${params.service}/aws4_request`,
      explained.canonicalRequest,
      explained.stringToSign,
      explained.authorization === sent.headers.authorization,
      "authorization",
    );
  },
} satisfies AuthMethodModule<AwsS3Params>;
