import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db";
import { customers } from "../db/schema";

/** A customer, or null when there is no such customer (or the id is not one). */
export async function getCustomer(db: Database, id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  const [customer] = await db.select().from(customers).where(eq(customers.id, id));
  return customer ?? null;
}
