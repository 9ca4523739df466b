import { desc, eq } from "drizzle-orm";
import type { Database } from "../db";
import { customers, trustedSites, webhookAttempts } from "../db/schema";

/** The newest attempts, for the Logs page. */
export function listRecentAttempts(db: Database, limit = 50) {
  return db
    .select({
      id: webhookAttempts.id,
      messageId: webhookAttempts.messageId,
      createdAt: webhookAttempts.createdAt,
      action: webhookAttempts.action,
      customerId: webhookAttempts.customerId,
      customerName: customers.name,
      siteName: trustedSites.name,
      responseCode: webhookAttempts.responseCode,
      status: webhookAttempts.status,
      attemptNo: webhookAttempts.attemptNo,
    })
    .from(webhookAttempts)
    .innerJoin(customers, eq(customers.id, webhookAttempts.customerId))
    .innerJoin(trustedSites, eq(trustedSites.id, webhookAttempts.siteId))
    .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
    .limit(limit);
}
