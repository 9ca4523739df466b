import { eq } from "drizzle-orm";
import { customers, type Customer } from "../db/schema";
import type { Transaction } from "../delivery/announce";
import { ConflictError } from "../errors";

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
    .catch((error: unknown) => {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === "23505") throw new ConflictError(`The e-mail ${input.email} belongs to another customer`);
      throw error;
    });
  if (created) return created;
  const [existing] = await tx.select().from(customers).where(eq(customers.externalId, input.id));
  return existing!;
}
