import { desc, eq } from "drizzle-orm";
import type { Database } from "../db";
import { auditEvents } from "../db/schema";

/** A site's audit trail, newest first. */
export function listSiteAuditEvents(db: Database, siteId: string, limit = 50) {
  return db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.siteId, siteId))
    .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
    .limit(limit);
}
