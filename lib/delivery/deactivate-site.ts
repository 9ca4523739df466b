import { and, eq, isNull } from "drizzle-orm";
import { recordAuditEvent } from "../audit/record-audit-event";
import { SYSTEM_ACTOR } from "../backoffice-auth/actor-kinds";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";
import { pauseSiteSends } from "./pause-site";

/**
 * The system sets a site inactive (410 Gone, or every attempt failed for the period its policy
 * allows), with the reason the site page shows, audited with actor "system". Its messages pause as
 * for a person's deactivation (pause-site.ts), none lost; activating resumes them. Nothing happens
 * when the site is no longer active. A legacy node's connection is left as it is: it has no page
 * to show the reason or to activate it again (its failed message is what the workflow sees).
 * Resolves whether this call deactivated it.
 */
export async function deactivateSiteBySystem(db: Database, siteId: string, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [stored] = await tx
      .select({ status: trustedSites.status })
      .from(trustedSites)
      .where(and(eq(trustedSites.id, siteId), isNull(trustedSites.workflowId)))
      .for("update");
    if (stored?.status !== "active") return false;
    // The caller is an attempt, not a person waiting for "no send starts after the answer": no wait here.
    await pauseSiteSends(tx, siteId);
    await tx.update(trustedSites).set({ status: "inactive", statusReason: reason }).where(eq(trustedSites.id, siteId));
    await recordAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "site.deactivated", siteId, details: { from: "active", reason } });
    return true;
  });
}
