import { desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db";
import { customers, trustedSites, webhookMessages } from "../db/schema";

export const IN_FLIGHT_STATUSES = ["queued", "resent"] as const;

/** Messages still in flight, for the Queue page. Retries = resends so far (attempts started − 1). */
export function listQueue(db: Database, limit = 100) {
  return db
    .select({
      id: webhookMessages.id,
      customerId: webhookMessages.customerId,
      customerName: customers.name,
      siteName: trustedSites.name,
      retries: sql<number>`greatest(${webhookMessages.attempts} - 1, 0)::int`,
      status: webhookMessages.status,
      nextAttemptAt: webhookMessages.nextAttemptAt,
    })
    .from(webhookMessages)
    .innerJoin(customers, eq(customers.id, webhookMessages.customerId))
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .where(inArray(webhookMessages.status, [...IN_FLIGHT_STATUSES]))
    .orderBy(desc(webhookMessages.createdAt), desc(webhookMessages.id))
    .limit(limit);
}
