import { malformedPem, testKeys } from "./test-keys";

const secret = "jwt-shared-secret-0123456789-abcdefghij";

export const fixture = {
  valid: {
    algorithm: "HS256",
    secret,
    payload: { iss: "loyalty-app", tenant: 42, features: { beta: true } },
    timeToLive: "5 minutes",
  },
  invalid: [
    { field: "algorithm", value: "none" },
    { field: "secret", value: "" },
    { field: "timeToLive", value: "5 fortnights" },
    { field: "timeToLive", value: "" },
    { field: "payload", value: "not an object" },
    { field: "payload", value: { exp: 1 } },
  ],
  secretValues: [secret],
};

/** RS256 variants: the secret is a PEM key, and only an RSA one will do. */
export const rs256Fixture = {
  valid: { ...fixture.valid, algorithm: "RS256", secret: testKeys.rsa },
  invalid: [
    { field: "secret", value: malformedPem },
    { field: "secret", value: testKeys.ecP256 },
    { field: "secret", value: testKeys.rsa1024 },
    { field: "secret", value: "just a shared secret" },
  ],
  secretValues: [testKeys.rsa],
};
