import { sql } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../../audit/record-audit-event";
import { describeActor, type Actor } from "../../backoffice-auth/actor";
import type { Database } from "../../db";
import { ConflictError, NotFoundError } from "../../errors";
import { addToAttemptMinutes } from "../attempt-minutes";
import { IN_FLIGHT } from "../policy/delivery-rules";

/**
 * Cancels a paused message (in flight to a site that is not active): its current attempt and the
 * message end `failed`, the attempt's error naming who cancelled it, audited as `message.cancelled`.
 * Refused (409) when the message is finished, when its site is active (it is being delivered), or
 * while a send begun before the pause still holds it; 404 when there is no such message.
 */
export async function cancelMessage(db: Database, id: string, actor: Actor) {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such message");
  return db.transaction(async (tx) => {
    // The site row is share-locked so an activation cannot slip in between this check and the cancel;
    // workers skip the locked message row.
    const [message] = await tx.execute<{ status: string; site_id: string; site_status: string; held: boolean }>(sql`
      select m.status, m.site_id, s.status as site_status, coalesce(m.locked_until > clock_timestamp(), false) as held
      from webhook_messages m join trusted_sites s on s.id = m.site_id
      where m.id = ${id}
      for update of m for share of s`);
    if (!message) throw new NotFoundError("No such message");
    if (!(IN_FLIGHT as readonly string[]).includes(message.status)) {
      throw new ConflictError(`This message has already ${message.status === "done" ? "been delivered" : "failed"}: there is nothing to cancel`);
    }
    if (message.site_status === "active") {
      throw new ConflictError("Only a paused message can be cancelled: this one is being delivered to an active site");
    }
    if (message.held) {
      throw new ConflictError("A send to the site that began before it was deactivated is still finishing: try again in a moment");
    }
    const reason = `Cancelled by ${describeActor(actor)} while the site was inactive`;
    const [attempt] = await tx.execute<{ attempt_no: number }>(sql`
      with message as (
        update webhook_messages
        set status = 'failed', finished_at = clock_timestamp(), next_attempt_at = null, locked_until = null, locked_by = null
        where id = ${id}
        returning id
      ), attempt as (
        update webhook_attempts a set status = 'failed', finished_at = clock_timestamp(), error = ${reason}
        from message
        where a.message_id = message.id
          and a.attempt_no = (select max(attempt_no) from webhook_attempts where message_id = ${id})
        returning a.attempt_no, a.site_id, a.created_at, a.status, a.duration_ms
      ), rollup as (
        ${addToAttemptMinutes(sql`attempt`)}
      )
      select attempt_no from attempt`);
    await recordAuditEvent(tx, {
      actor,
      action: "message.cancelled",
      siteId: message.site_id,
      details: { messageId: id, attemptNo: attempt?.attempt_no ?? null },
    });
    return { id, status: "failed" as const, error: reason };
  });
}
