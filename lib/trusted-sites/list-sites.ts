import { asc } from "drizzle-orm";
import type { Database } from "../db";
import { trustedSites } from "../db/schema";

/** Sites for the list page: never the auth parameters (they hold secrets). */
export function listSites(db: Database) {
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
    .orderBy(asc(trustedSites.name));
}
