import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import { nextInLine, siteSendable } from "../claim-messages";

export interface StrandedMessage {
  id: string;
  /** The number of its current attempt. */
  attemptNo: number;
}

export interface StrandedOptions {
  /** How long past due an unheld message must be before no driver is believed to be on it. */
  overdueMs: number;
  limit: number;
}

/**
 * In-flight messages that nobody holds and that are overdue by more than `overdueMs`: their
 * announcement was lost (the event could not be sent) or the run delivering them ended early. Each
 * is marked due now as it is taken, so a message is taken again only if it is still stranded
 * `overdueMs` later; taking several times is harmless, as attempts run only under a claim. Messages
 * of a site that is not active are paused, not stranded: activating the site announces them. Nor
 * is a message waiting for an earlier one of its customer at an ordered site: it is taken once it
 * is next in line (and then long overdue), should the announcement after the earlier one be lost.
 */
export async function takeStrandedMessages(db: Database, options: StrandedOptions): Promise<StrandedMessage[]> {
  const rows = await db.execute<{ id: string; attempt_no: number }>(sql`
    update webhook_messages m set next_attempt_at = clock_timestamp()
    where m.id in (
      select id from webhook_messages m
      where status in ('queued', 'resent') and ${siteSendable} and ${nextInLine}
        and next_attempt_at < clock_timestamp() - ${options.overdueMs}::float8 * interval '1 millisecond'
        and (locked_until is null or locked_until <= clock_timestamp())
      order by next_attempt_at limit ${options.limit}
      for update skip locked)
    returning m.id, (select max(a.attempt_no) from webhook_attempts a where a.message_id = m.id)::int as attempt_no`);
  return rows.map((r) => ({ id: r.id, attemptNo: Number(r.attempt_no ?? 1) }));
}
