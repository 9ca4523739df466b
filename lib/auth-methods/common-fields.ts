import { createPrivateKey, type KeyObject } from "node:crypto";
import { z } from "zod";

/** A required text field with a message that names it. */
export function requiredText(label: string) {
  return z.string({ error: `${label} is required` }).trim().min(1, `${label} is required`);
}

export { httpUrl } from "../outbound/http-url";

/** A whole number within [min, max], accepting numeric strings from forms. */
export function integerInRange(label: string, min: number, max: number) {
  return z.coerce
    .number({ error: `${label} must be a number` })
    .int(`${label} must be a whole number`)
    .min(min, `${label} must be between ${min} and ${max}`)
    .max(max, `${label} must be between ${min} and ${max}`);
}

export type PrivateKeyKind = "rsa" | "ec-p256";

/** Parses a PEM private key; null when it is malformed or not of the expected kind. */
export function parsePrivateKey(pem: string, kind: PrivateKeyKind): KeyObject | null {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    return null;
  }
  if (kind === "rsa") return key.asymmetricKeyType === "rsa" ? key : null;
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? key : null;
}

export function describeKeyKind(kind: PrivateKeyKind) {
  return kind === "rsa" ? "an RSA private key in PEM format" : "an EC P-256 private key in PEM format";
}
