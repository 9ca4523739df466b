import { asc } from "drizzle-orm";
import type { Database } from "../db";
import { customers } from "../db/schema";

export function listCustomers(db: Database) {
  return db.select().from(customers).orderBy(asc(customers.name));
}
