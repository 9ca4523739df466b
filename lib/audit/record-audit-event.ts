import { describeActor, type Actor } from "../backoffice-auth/actor-kinds";
import type { Database } from "../db";
import { auditEvents } from "../db/schema";

export type AuditAction =
  | "site.created"
  | "site.updated"
  | "site.activated"
  | "site.deactivated"
  | "site.deleted"
  | "site.connected"
  | "site.token_refreshed"
  | "site.signing_enabled"
  | "site.signing_rotated"
  | "site.signing_disabled"
  | "site.tested"
  | "messages.resent"
  | "message.cancelled"
  | "message.retried-now";

type Tx = Pick<Database, "insert">;

/** Appends to the audit trail, in the caller's transaction so the trail and the change commit together. */
export async function recordAuditEvent(
  tx: Tx,
  event: { actor: Actor; action: AuditAction; siteId: string | null; details?: Record<string, unknown> },
) {
  await tx.insert(auditEvents).values({
    actor: describeActor(event.actor),
    action: event.action,
    siteId: event.siteId,
    details: event.details ?? {},
  });
}
