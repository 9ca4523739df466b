import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { trustedSites, type TrustedSite } from "../db/schema";
import { NotFoundError } from "../errors";

type Reader = Pick<Database, "select">;

/** The stored site row (secrets still encrypted), or NotFoundError; a legacy node's site is not one of the trusted sites. */
export async function getSiteOrThrow(db: Reader, id: string, options: { forUpdate?: boolean } = {}): Promise<TrustedSite> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError("No such trusted site");
  const query = db.select().from(trustedSites).where(and(eq(trustedSites.id, id), isNull(trustedSites.workflowId)));
  const [site] = options.forUpdate ? await query.for("update") : await query;
  if (!site) throw new NotFoundError("No such trusted site");
  return site;
}
