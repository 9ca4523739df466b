import { and, count, eq, inArray } from "drizzle-orm";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites, webhookAttempts, webhookMessages, workflowNodeRuns } from "../db/schema";
import { ConflictError } from "../errors";
import { getSiteOrThrow } from "./get-site";
import { workflowsUsingSite } from "./site-workflows";

/**
 * Deletes a site, its finished messages and their attempts; refused while messages to it are still in flight, and
 * while an active workflow sends to it (its runs would all take the failure output).
 */
export async function deleteSite(db: Database, actor: Actor, id: string) {
  await db.transaction(async (tx) => {
    const site = await getSiteOrThrow(tx, id, { forUpdate: true });
    const users = (await workflowsUsingSite(tx, id)).filter((w) => w.status === "active");
    if (users.length > 0) {
      const names = users.map((w) => `"${w.name}"`).join(", ");
      throw new ConflictError(
        `"${site.name}" is used by the active workflow${users.length > 1 ? "s" : ""} ${names}. Deactivate ${users.length > 1 ? "them" : "it"} or change ${users.length > 1 ? "their" : "its"} Webhook message nodes, then delete the site.`,
      );
    }
    const [inFlight] = await tx
      .select({ n: count() })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.siteId, id), inArray(webhookMessages.status, ["queued", "resent"])));
    if (inFlight!.n > 0) {
      throw new ConflictError(
        `"${site.name}" still has ${inFlight!.n} message(s) being delivered. Deactivate it and wait until the Queue is empty, then delete it.`,
      );
    }
    // Its messages go by their foreign key; their attempts and the node runs' links to them have none
    // (schema.ts), so they are handled here. Resends link only to messages of their own site.
    await tx.delete(webhookAttempts).where(eq(webhookAttempts.siteId, id));
    await tx
      .update(workflowNodeRuns)
      .set({ messageId: null })
      .where(inArray(workflowNodeRuns.messageId, tx.select({ id: webhookMessages.id }).from(webhookMessages).where(eq(webhookMessages.siteId, id))));
    await tx.delete(trustedSites).where(eq(trustedSites.id, id));
    await recordAuditEvent(tx, { actor, action: "site.deleted", siteId: id, details: { name: site.name } });
  });
}
