import { z } from "zod";
import { requiredText } from "../common-fields";
import type { FieldSpec } from "../types";

// Region, service and access key id become parts of the credential scope (`<key>/<date>/<region>/<service>/…`).
// "*": blank is reported once, as "required".
const SCOPE_PART = /^[A-Za-z0-9_-]*$/;

export function scopePart(label: string) {
  return requiredText(label).regex(SCOPE_PART, `${label} may only contain letters, digits, "-" and "_"`);
}

/** An optional text field matching `pattern`: blank in the form means absent. */
export function optionalText(pattern: RegExp, message: string) {
  return z
    .string()
    .trim()
    .refine((value) => value === "" || pattern.test(value), message)
    .transform((value) => value || undefined)
    .optional();
}

export function optionalScopePart(label: string) {
  return optionalText(SCOPE_PART, `${label} may only contain letters, digits, "-" and "_"`);
}

export const awsCredentialsSchema = {
  accessKeyId: scopePart("Access key ID"),
  secretAccessKey: requiredText("Secret access key"),
};

export const awsCredentialFields = [
  {
    name: "accessKeyId",
    label: "Access key ID",
    help: "The public half of the key pair, e.g. AKIAIOSFODNN7EXAMPLE. It is sent with every request.",
    kind: "text",
    required: true,
    placeholder: "AKIAIOSFODNN7EXAMPLE",
  },
  {
    name: "secretAccessKey",
    label: "Secret access key",
    help: "The private half of the key pair. It signs each request and is never sent.",
    kind: "secret",
    required: true,
  },
] as const satisfies readonly FieldSpec[];
