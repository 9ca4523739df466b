import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { Database } from "@/lib/db/client";
import { trustedSites } from "@/lib/db/schema";

/** Inserts a trusted site straight into the table; returns its id. */
export async function insertTrustedSite(db: Database, authMethod: AuthMethod, authParams: Record<string, unknown> = {}) {
  const [row] = await db
    .insert(trustedSites)
    .values({ name: `site ${randomUUID()}`, url: "https://receiver.example/hooks", authMethod, authParams, status: "active" })
    .returning({ id: trustedSites.id });
  return row!.id;
}

export async function siteRow(db: Database, siteId: string) {
  const [row] = await db.select().from(trustedSites).where(eq(trustedSites.id, siteId));
  if (!row) throw new Error(`no trusted site ${siteId}`);
  return row;
}
