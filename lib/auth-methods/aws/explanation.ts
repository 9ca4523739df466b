import type { Explanation } from "../types";

/** The canonical request and string to sign, shown alike for every SigV4 signer (aws, aws-s3). */
export function signingExplanation(summary: string, canonicalRequest: string, stringToSign: string, matches: boolean, header: string): Explanation {
  return {
    summary,
    items: [
      { key: "canonicalRequest", label: "Canonical request", value: canonicalRequest, format: "code" },
      { key: "stringToSign", label: "String to sign", value: stringToSign, format: "code" },
      {
        key: "signatureCheck",
        label: "Signature check",
        value: matches
          ? `Recomputing the signature from these gives the ${header} header that was sent.`
          : `Recomputing the signature from these does NOT give the ${header} header that was sent.`,
        format: "text",
      },
    ],
  };
}
