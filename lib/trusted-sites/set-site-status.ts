import { eq } from "drizzle-orm";
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import { parseOrThrow } from "../validation";
import { getSiteOrThrow } from "./get-site";
import { toSiteView } from "./site-view";

export const siteStatusChangeSchema = z.object({
  status: z.enum(["active", "inactive"], { error: 'Status must be "active" or "inactive"' }),
});

/** Activates or deactivates a site: only active sites are offered to Webhook message nodes. */
export async function setSiteStatus(db: Database, actor: Actor, id: string, input: unknown) {
  const { status } = parseOrThrow(siteStatusChangeSchema, input);
  const row = await db.transaction(async (tx) => {
    const stored = await getSiteOrThrow(tx, id, { forUpdate: true });
    if (stored.status === status) return stored;
    const [updated] = await tx.update(trustedSites).set({ status }).where(eq(trustedSites.id, id)).returning();
    await recordAuditEvent(tx, {
      actor,
      action: status === "active" ? "site.activated" : "site.deactivated",
      siteId: id,
      details: { from: stored.status },
    });
    return updated!;
  });
  return toSiteView(row);
}
