import { eq } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import { engineAnnouncer, type Announcer } from "../delivery/engine";
import { pauseSiteSends, resumeSiteSends } from "../delivery/pause-site";
import { addSendRows } from "../delivery/thread-slots";
import { parseOrThrow } from "../validation";
import { getSiteOrThrow } from "./get-site";
import { toSiteView } from "./site-view";

export const siteStatusChangeSchema = z.object({
  status: z.enum(["active", "inactive"], { error: 'Status must be "active" or "inactive"' }),
});

/**
 * Activates or deactivates a site: only active sites are offered to Webhook message nodes. A site
 * that is not active pauses its messages (DESIGN §3): deactivating answers once no new send to it
 * can start (see pause-site.ts); activating announces its paused messages to the engine again.
 */
export async function setSiteStatus(db: Database, actor: Actor, id: string, input: unknown, announcer: Announcer = engineAnnouncer()) {
  const { status } = parseOrThrow(siteStatusChangeSchema, input);
  const { row, waitMs, resumed } = await db.transaction(async (tx) => {
    const stored = await getSiteOrThrow(tx, id, { forUpdate: true });
    if (stored.status === status) return { row: stored, waitMs: 0, resumed: [] };
    const paused = status === "inactive" ? await pauseSiteSends(tx, id) : { waitMs: 0 };
    const resumed = status === "active" ? await resumeSiteSends(tx, id) : [];
    if (status === "active") await addSendRows(tx, id, stored.threads);
    // One notification wakes the local workers for all of them; other engines hear of each after the commit.
    if (resumed.length > 0) await announcer.inTransaction(tx, { id: resumed[0]!.id, siteId: id });
    // A person's change ends what the system said about the site, and activating starts the failing period afresh.
    const [updated] = await tx
      .update(trustedSites)
      .set({ status, statusReason: null, ...(status === "active" ? { failingSince: null } : {}) })
      .where(eq(trustedSites.id, id))
      .returning();
    await recordAuditEvent(tx, {
      actor,
      action: status === "active" ? "site.activated" : "site.deactivated",
      siteId: id,
      details: { from: stored.status },
    });
    return { row: updated!, waitMs: paused.waitMs, resumed };
  });
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  await announcer.afterCommit(resumed);
  return toSiteView(row);
}

