import { sql } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../../audit/record-audit-event";
import type { Actor } from "../../backoffice-auth/actor";
import type { Database } from "../../db";
import { ConflictError, NotFoundError } from "../../errors";
import { readEnv, type Env } from "../../env";
import { engineAnnouncer } from "../engine";

type Engine = Env["WEBHOOK_ENGINE"];

/** Whether the configured engine can send a waiting message early (the Queue shows Retry now only then). */
export const retryNowAvailable = (engine: Engine = readEnv().WEBHOOK_ENGINE) => engine === "local";

/**
 * Makes a message waiting to be resent (`resent`, its next attempt queued for later) due now: the
 * message and its queued attempt are rescheduled to this moment and announced to the engine, audited
 * as `message.retried-now`. The attempt count is unchanged: it is the same attempt, only sooner.
 * Local engine only. Refused (409) for a message that is done, failed, not yet tried once (`queued`: already due), being
 * sent right now (claimed), or paused (its site is not active); 404 when there is no such message.
 */
export async function retryMessageNow(db: Database, id: string, actor: Actor, engine: Engine = readEnv().WEBHOOK_ENGINE) {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such message");
  // An Inngest run sleeping until the resend falls due cannot be woken early (deliver-webhook.ts).
  if (!retryNowAvailable(engine)) throw new ConflictError("Retry now is not available with the Inngest engine: the message is resent when it falls due");
  const announcer = engineAnnouncer(engine);
  const retried = await db.transaction(async (tx) => {
    // Locked as cancel-message does: a worker skips the locked row, and a deactivation waits for us.
    const [message] = await tx.execute<{ status: string; site_id: string; site_status: string; held: boolean; due_at: string | null }>(sql`
      select m.status, m.site_id, s.status as site_status, coalesce(m.locked_until > clock_timestamp(), false) as held,
        m.next_attempt_at as due_at
      from webhook_messages m join trusted_sites s on s.id = m.site_id
      where m.id = ${id}
      for update of m for share of s`);
    if (!message) throw new NotFoundError("No such message");
    if (message.status === "done" || message.status === "failed") {
      throw new ConflictError(`This message has already ${message.status === "done" ? "been delivered" : "failed"}: resend it instead`);
    }
    if (message.held) throw new ConflictError("This message is being sent right now");
    if (message.status !== "resent") throw new ConflictError("This message's first attempt is due already: there is nothing to retry yet");
    if (message.site_status !== "active") throw new ConflictError("This message is paused: its site is inactive. Activate the site to send it");
    const [attempt] = await tx.execute<{ attempt_no: number; next_attempt_at: Date }>(sql`
      with message as (
        update webhook_messages set next_attempt_at = clock_timestamp() where id = ${id} returning id, next_attempt_at
      )
      update webhook_attempts a set scheduled_at = message.next_attempt_at
      from message
      where a.message_id = message.id and a.status = 'queued'
      returning a.attempt_no, message.next_attempt_at`);
    await recordAuditEvent(tx, {
      actor,
      action: "message.retried-now",
      siteId: message.site_id,
      details: { messageId: id, attemptNo: attempt?.attempt_no ?? null, wasDueAt: message.due_at },
    });
    await announcer.inTransaction(tx, { id, siteId: message.site_id });
    return { id, status: "resent" as const, attemptNo: attempt?.attempt_no ?? null, nextAttemptAt: new Date(attempt?.next_attempt_at ?? Date.now()) };
  });
  await announcer.afterCommit([{ id }]);
  return retried;
}
