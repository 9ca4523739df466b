import { and, asc, eq, isNull } from "drizzle-orm";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";

type SiteStatus = (typeof trustedSites.status.enumValues)[number];

/**
 * Sites for lists, never the auth parameters (they hold secrets). With `status: "active"` it is the
 * list a Webhook message node offers: draft and inactive sites cannot receive messages.
 */
export function listSites(db: Database, filter: { status?: SiteStatus } = {}) {
  return db
    .select({
      id: trustedSites.id,
      name: trustedSites.name,
      url: trustedSites.url,
      contentType: trustedSites.contentType,
      authMethod: trustedSites.authMethod,
      status: trustedSites.status,
    })
    .from(trustedSites)
    .where(and(isNull(trustedSites.workflowId), filter.status ? eq(trustedSites.status, filter.status) : undefined))
    .orderBy(asc(trustedSites.name));
}
