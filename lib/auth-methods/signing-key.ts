import type { KeyObject } from "node:crypto";
import { describeKeyKind, parsePrivateKey, type PrivateKeyKind } from "./common-fields";

/** RFC 7518 §3.3, and jose refuses to sign with less. */
const MIN_RSA_BITS = 2048;

/** The PEM private key, when it can sign as `kind`; otherwise the message for the form. */
export function loadSigningKey(pem: string, kind: PrivateKeyKind): { key: KeyObject } | { problem: string } {
  const key = parsePrivateKey(pem, kind);
  if (!key) return { problem: `must be ${describeKeyKind(kind)}` };
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (kind === "rsa" && bits !== undefined && bits < MIN_RSA_BITS) {
    return { problem: `must be an RSA key of at least ${MIN_RSA_BITS} bits (this one has ${bits})` };
  }
  return { key };
}
