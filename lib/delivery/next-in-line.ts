import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { IN_FLIGHT_SQL } from "./claim-messages";

/**
 * The message that a finished one let go at a site that delivers in order per customer (DESIGN §3):
 * the customer's oldest message still in flight there, with the number of its current attempt.
 * Null at other sites or when the line is empty. The Inngest engine announces it, since its run ended
 * while it waited (the local workers hear the notification that recording the outcome sends).
 */
export async function nextInLineAfter(db: Database, finishedMessageId: string): Promise<{ id: string; attemptNo: number } | null> {
  const [row] = await db.execute<{ id: string; attempt_no: number }>(sql`
    select n.id, greatest(n.attempts, 1)::int as attempt_no
    from webhook_messages f
    join trusted_sites s on s.id = f.site_id and s.ordered_per_customer
    join lateral (
      select id, attempts from webhook_messages n
      where n.site_id = f.site_id and n.customer_id = f.customer_id and n.status in (${IN_FLIGHT_SQL})
      order by n.created_at, n.id limit 1
    ) n on true
    where f.id = ${finishedMessageId} and f.status not in (${IN_FLIGHT_SQL})`);
  return row ? { id: row.id, attemptNo: Number(row.attempt_no) } : null;
}
