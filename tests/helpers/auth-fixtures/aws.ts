import type { AwsParams } from "@/lib/auth-methods/aws";

const valid: AwsParams = {
  region: "eu-west-1",
  service: "execute-api",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
};

export const fixture = {
  valid,
  invalid: [
    { field: "region", value: "" },
    { field: "region", value: "eu/west" },
    { field: "service", value: "" },
    { field: "accessKeyId", value: "" },
    { field: "secretAccessKey", value: "" },
    { field: "algorithmPrefix", value: "EMS_1" },
    { field: "vendorKey", value: "X-Ems" },
  ],
  secretValues: [valid.secretAccessKey],
};

/** The Escher-style variant (Emarsys: EMS-HMAC-SHA256, X-Ems-Date, X-Ems-Auth, scope eu/suite/ems_request). */
const validEscher: AwsParams = {
  region: "eu",
  service: "suite",
  accessKeyId: "suite_webhooks_v1",
  secretAccessKey: "escher-secret-2f9c1e7a",
  algorithmPrefix: "EMS",
  vendorKey: "Ems",
};

export const awsEscherFixture = {
  valid: validEscher,
  invalid: [
    { field: "algorithmPrefix", value: "" },
    { field: "vendorKey", value: "" },
  ],
  secretValues: [validEscher.secretAccessKey],
};
