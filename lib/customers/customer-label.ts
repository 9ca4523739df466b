import { eq } from "drizzle-orm";
import type { Database } from "../db";
import { customers } from "../db/schema";

/** How a filter names a customer: "Name <e-mail>" (or the name alone); the id when it names no customer. */
export async function customerLabel(db: Database, id: string): Promise<string> {
  const [customer] = await db.select({ name: customers.name, email: customers.email }).from(customers).where(eq(customers.id, id));
  if (!customer) return id;
  return customer.email ? `${customer.name} <${customer.email}>` : customer.name;
}
