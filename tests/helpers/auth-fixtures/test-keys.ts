import { generateKeyPairSync } from "node:crypto";

/** PKCS#8 PEM private keys made once per test process (no key material committed to the repository). */
export const testKeys = {
  rsa: pem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey),
  rsa1024: pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey),
  ecP256: pem(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey),
  ecP384: pem(generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey),
  ed25519: pem(generateKeyPairSync("ed25519").privateKey),
};

export const malformedPem = "-----BEGIN PRIVATE KEY-----\nnot really a key\n-----END PRIVATE KEY-----";

function pem(key: import("node:crypto").KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}
