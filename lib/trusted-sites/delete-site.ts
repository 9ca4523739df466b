import { and, count, eq, inArray } from "drizzle-orm";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { trustedSites, webhookMessages } from "../db/schema";
import { ConflictError } from "../errors";
import { getSiteOrThrow } from "./get-site";

/** Deletes a site and its finished messages; refused while messages to it are still in flight. */
export async function deleteSite(db: Database, actor: Actor, id: string) {
  await db.transaction(async (tx) => {
    const site = await getSiteOrThrow(tx, id, { forUpdate: true });
    const [inFlight] = await tx
      .select({ n: count() })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.siteId, id), inArray(webhookMessages.status, ["queued", "resent"])));
    if (inFlight!.n > 0) {
      throw new ConflictError(
        `"${site.name}" still has ${inFlight!.n} message(s) being delivered. Deactivate it and wait until the Queue is empty, then delete it.`,
      );
    }
    await tx.delete(trustedSites).where(eq(trustedSites.id, id));
    await recordAuditEvent(tx, { actor, action: "site.deleted", siteId: id, details: { name: site.name } });
  });
}
