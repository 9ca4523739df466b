import { malformedPem, testKeys } from "./test-keys";

export const fixture = {
  valid: {
    tokenUrl: "https://auth.example.com/oauth2/token",
    contentType: "application/x-www-form-urlencoded",
    tokenExpiration: 60,
    clientId: "loyalty-app@example.iam",
    privateKey: testKeys.rsa,
    keyId: "key-2026-11",
    signAlgorithm: "RS256",
    scope: "webhooks:write",
    mode: "jwt-bearer",
  },
  invalid: [
    { field: "tokenUrl", value: "ftp://x" },
    { field: "contentType", value: "multipart/form-data" },
    { field: "tokenExpiration", value: 0 },
    { field: "tokenExpiration", value: 121 },
    { field: "clientId", value: "" },
    { field: "privateKey", value: malformedPem },
    { field: "privateKey", value: testKeys.ecP256 },
    { field: "privateKey", value: testKeys.rsa1024 },
    { field: "signAlgorithm", value: "HS256" },
    { field: "mode", value: "password" },
  ],
  secretValues: [testKeys.rsa],
};

/** The ES256 variant: an EC P-256 key; RSA or P-384 keys are refused. */
export const es256Fixture = {
  valid: { ...fixture.valid, signAlgorithm: "ES256", privateKey: testKeys.ecP256, mode: "client-assertion" },
  invalid: [
    { field: "privateKey", value: testKeys.rsa },
    { field: "privateKey", value: testKeys.ecP384 },
    { field: "privateKey", value: testKeys.ed25519 },
  ],
  secretValues: [testKeys.ecP256],
};
