import { createHmac } from "node:crypto";
import type { OutgoingRequest } from "../auth-methods/types";
import type { SecretBox } from "../secrets";
import { signingKey } from "../signing-secrets/signing-secret-format";
import { activeSigningSecrets, type StoredSigningSecret } from "../signing-secrets/stored-signing-secret";
import { AuthorizeFailure } from "./delivery-errors";

/**
 * Standard Webhooks signature (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "{webhook-id}.{webhook-timestamp}.{body}">`, one space-separated signature per secret still
 * active at the send time, so that during a rotation either secret verifies. Computed over the
 * exact body bytes sent (JSON or form), after the timestamp is stamped and before the method
 * authenticates, so a method that signs headers (SigV4) covers it too. A site without secrets is
 * sent as it is.
 */
export function withPayloadSignature(
  request: OutgoingRequest,
  secrets: readonly StoredSigningSecret[],
  box: SecretBox,
  now: Date,
): OutgoingRequest {
  const active = activeSigningSecrets(secrets, now);
  if (active.length === 0) return request;
  const signed = `${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.${request.body}`;
  const signatures = active.map((s) => `v1,${createHmac("sha256", key(box, s)).update(signed, "utf8").digest("base64")}`);
  return { ...request, headers: { ...request.headers, "webhook-signature": signatures.join(" ") } };
}

function key(box: SecretBox, secret: StoredSigningSecret): Buffer {
  try {
    return signingKey(box.decrypt(secret.sealed));
  } catch {
    // Sending unsigned would let receivers that verify refuse every message, or those that don't notice nothing.
    throw new AuthorizeFailure(
      `the site's signing secret ${secret.prefix}… cannot be decrypted (was APP_ENCRYPTION_KEY changed?): rotate it on the site page`,
    );
  }
}
