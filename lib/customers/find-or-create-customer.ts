import { eq } from "drizzle-orm";
import { customers, type Customer } from "../db/schema";
import type { Transaction } from "../delivery/announce";
import { rethrowUniqueViolation } from "../db/unique-violation";

/**
 * The customer the platform calls `externalId`, created from the given fields when unknown (an
 * existing customer is left as it is). An e-mail that another customer already has is a conflict.
 */
export async function findOrCreateCustomer(tx: Transaction, input: { id: string; name?: string; email?: string }): Promise<Customer> {
  const [created] = await tx
    .insert(customers)
    .values({ externalId: input.id, name: input.name ?? input.id, email: input.email ?? null })
    .onConflictDoNothing({ target: customers.externalId })
    .returning()
    .catch(rethrowUniqueViolation(`The e-mail ${input.email} belongs to another customer`));
  if (created) return created;
  const [existing] = await tx.select().from(customers).where(eq(customers.externalId, input.id));
  return existing!;
}
