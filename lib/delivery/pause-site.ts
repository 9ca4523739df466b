import { and, eq, inArray, sql } from "drizzle-orm";
import { webhookMessages } from "../db/schema";
import type { Transaction } from "./announce";
import type { AnnouncedMessage } from "./engine";
import { IN_FLIGHT, LATE_START_MS } from "./policy/delivery-rules";

/** Room for a send handed to the HTTP client at its latest allowed moment to be written to the socket. */
const HANDOFF_MARGIN_MS = 50;

/**
 * Stops new sends to a site being deactivated, in the deactivation's transaction (DESIGN §3: a site
 * set inactive pauses its messages). Resolves how long the caller must wait after its commit before
 * it answers.
 *
 * The guarantee: once the deactivation has answered, no send to the site starts (is handed to the
 * HTTP client, the moment pacing counts). A send that started before may still be on the wire and
 * finish; its result is recorded as usual. Nothing new is claimed for a site that is not active
 * (claim-messages.ts), and reserveSend refuses a start to it, so a claimed message goes back untouched.
 *
 * Two sends can still be under way when this commits: one whose reservation statement read the site
 * as active before the commit, and one holding a start it reserved earlier. For the first, this sets
 * the site's TAT to infinity under the pacing row's lock: a reservation that waited for that lock
 * re-reads the row and gets no start. For the second, every reserved start is before the TAT read
 * here, and a send goes out at most LATE_START_MS after its start or must reserve again (refused
 * now), so waiting until then plus a margin covers it.
 */
export async function pauseSiteSends(tx: Transaction, siteId: string): Promise<{ waitMs: number }> {
  const [reserved] = await tx.execute<{ until_ms: number }>(sql`
    select greatest(0, extract(epoch from theoretical_arrival_at - clock_timestamp())::float8 * 1000) as until_ms
    from site_pacing where site_id = ${siteId} and theoretical_arrival_at < 'infinity' for update`);
  await tx.execute(sql`
    insert into site_pacing (site_id, theoretical_arrival_at) values (${siteId}, 'infinity')
    on conflict (site_id) do update set theoretical_arrival_at = 'infinity'`);
  return { waitMs: (reserved?.until_ms ?? 0) + LATE_START_MS + HANDOFF_MARGIN_MS };
}

/**
 * Lets sends to a site being activated start again, in the activation's transaction, and returns
 * its paused messages: the caller announces them to the engine. Their due times are kept, so one
 * that fell due while paused is sent at once, and a resend keeps its interval.
 */
export async function resumeSiteSends(tx: Transaction, siteId: string): Promise<AnnouncedMessage[]> {
  await tx.execute(sql`delete from site_pacing where site_id = ${siteId} and theoretical_arrival_at = 'infinity'`);
  const rows = await tx
    .select({
      id: webhookMessages.id,
      attemptNo: sql<number>`(select max(a.attempt_no) from webhook_attempts a where a.message_id = webhook_messages.id)::int`,
    })
    .from(webhookMessages)
    .where(and(eq(webhookMessages.siteId, siteId), inArray(webhookMessages.status, [...IN_FLIGHT])));
  // Each was announced before for this attempt (when queued or resent): announced "again".
  return rows.map((r) => ({ id: r.id, attemptNo: r.attemptNo ?? 1, again: true }));
}
