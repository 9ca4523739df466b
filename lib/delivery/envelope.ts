import { createHash } from "node:crypto";
import { stringify } from "qs";
import type { BodyEncoding } from "../trusted-sites/request-shape";

/**
 * The body every receiver gets, the same for every attempt of a message (DESIGN §3), in the shape
 * of Standard Webhooks (standardwebhooks.com), whose `Webhook-Id`/`Webhook-Timestamp` headers we send:
 *
 *   {"customerId":"…","data":<payload>,"timestamp":"<message created, ISO 8601>","type":"<action>"}
 *
 * Keys are sorted at every level (PostgreSQL's jsonb does not keep the caller's order), so the bytes,
 * and the content hash stored with the message, are identical on every attempt and in every process.
 */
export interface EnvelopeInput {
  action: string;
  customerId: string;
  payload: unknown;
  createdAt: Date;
}

export function envelopeBody(message: EnvelopeInput): string {
  return canonicalJson(envelope(message));
}

/**
 * The envelope in the site's body encoding. `form` flattens it the way PHP, Rails and qs read forms
 * back (`data[points]=10&data[tags][0]=a`, `+` for spaces), keys sorted like the JSON.
 */
export function encodedEnvelope(message: EnvelopeInput, encoding: BodyEncoding): string {
  if (encoding === "json") return envelopeBody(message);
  return stringify(envelope(message), { sort: byCodePoint, format: "RFC1738" });
}

function envelope(message: EnvelopeInput) {
  return { type: message.action, timestamp: message.createdAt.toISOString(), customerId: message.customerId, data: message.payload };
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function contentHash(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
