import { and, asc, or, sql } from "drizzle-orm";
import type { Database } from "../db";
import { customers } from "../db/schema";
import { parseOrThrow } from "../validation";
import { customersCursor, customersQuerySchema, type CustomersQuery } from "./customers-query";

export { customersQuerySchema } from "./customers-query";

/** `%`, `_` and `\` typed in a search are meant literally, not as LIKE wildcards. */
const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Customers by name (then id), a page at a time, keyset-paginated on (name, id). `q` matches a
 * prefix of the name, the e-mail or the external id, in any case: each through its own
 * `lower(...) text_pattern_ops` index (a substring search would need pg_trgm, which not every
 * PostgreSQL has).
 */
export async function listCustomers(db: Database, query: unknown = {}) {
  const q = parseOrThrow(customersQuerySchema, query);
  const rows = await customersQuery(db, q);
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? customersCursor(last) : null };
}

/** The query, unexecuted (tests read its plan). */
export function customersQuery(db: Database, q: CustomersQuery) {
  const pattern = q.q ? likePrefix(q.q) : undefined;
  return db
    .select({ id: customers.id, externalId: customers.externalId, name: customers.name, email: customers.email })
    .from(customers)
    .where(
      and(
        pattern
          ? or(
              sql`lower(${customers.name}) like ${pattern}`,
              sql`lower(${customers.email}) like ${pattern}`,
              sql`lower(${customers.externalId}) like ${pattern}`,
            )
          : undefined,
        q.cursor && sql`(${customers.name}, ${customers.id}) > (${q.cursor.name}, ${q.cursor.id}::uuid)`,
      ),
    )
    .orderBy(asc(customers.name), asc(customers.id))
    .limit(q.limit + 1);
}
