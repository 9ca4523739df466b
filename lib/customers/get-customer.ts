import { desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { customers, trustedSites, webhookMessages } from "../db/schema";

/** A customer with their most recent webhook messages, or null when there is no such customer. */
export async function getCustomerProfile(db: Database, id: string, recentLimit = 20) {
  if (!z.uuid().safeParse(id).success) return null;
  const [customer] = await db.select().from(customers).where(eq(customers.id, id));
  if (!customer) return null;
  const recentMessages = await db
    .select({
      id: webhookMessages.id,
      action: webhookMessages.action,
      siteName: trustedSites.name,
      status: webhookMessages.status,
      createdAt: webhookMessages.createdAt,
    })
    .from(webhookMessages)
    .innerJoin(trustedSites, eq(trustedSites.id, webhookMessages.siteId))
    .where(eq(webhookMessages.customerId, id))
    .orderBy(desc(webhookMessages.createdAt))
    .limit(recentLimit);
  return { customer, recentMessages };
}
