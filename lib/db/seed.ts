import { customers } from "./schema";
import type { Database } from "./client";

export const SAMPLE_CUSTOMERS = [
  { name: "Ada Lovelace", email: "ada.lovelace@example.com" },
  { name: "Grace Hopper", email: "grace.hopper@example.com" },
  { name: "Alan Turing", email: "alan.turing@example.com" },
  { name: "Katherine Johnson", email: "katherine.johnson@example.com" },
  { name: "Edsger Dijkstra", email: "edsger.dijkstra@example.com" },
] as const;

/** Adds the sample customers that are missing (by email); returns how many were added. */
export async function seedCustomers(db: Database): Promise<number> {
  const added = await db
    .insert(customers)
    .values([...SAMPLE_CUSTOMERS])
    .onConflictDoNothing({ target: customers.email })
    .returning({ id: customers.id });
  return added.length;
}
