import type { AwsS3Params } from "@/lib/auth-methods/aws-s3";

const valid: AwsS3Params = {
  service: "s3",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "s3-secret/K7MDENG+bPxRfiCYEXAMPLEKEY",
  filenameFormat: "webhooks/{yyyy}/{MM}/{dd}/{action}-{messageId}.json",
  region: "eu-central-1",
};

export const fixture = {
  valid,
  invalid: [
    { field: "service", value: "" },
    { field: "accessKeyId", value: "" },
    { field: "secretAccessKey", value: "" },
    { field: "filenameFormat", value: "" },
    { field: "filenameFormat", value: "{yyyy}/{bogus}.json" },
    { field: "filenameFormat", value: "{yyyy/{messageId}.json" },
    { field: "filenameFormat", value: "/{messageId}.json" },
    { field: "region", value: "eu/central" },
  ],
  secretValues: [valid.secretAccessKey],
};
