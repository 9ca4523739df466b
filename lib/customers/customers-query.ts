import { z } from "zod";
import { pageLimitSchema } from "../page-cursor";
import { storable } from "../validation";

/**
 * The Customers page's `?q&cursor&limit`, shared by the page and `GET /api/customers` (the search
 * form is a plain GET form). Server-side: cursors are decoded with Buffer.
 */

const NOT_A_CURSOR = "Not a cursor from this API";
/** Names are free text: a cursor carrying one longer than this was not made by us. */
const MAX_CURSOR_CHARS = 2048;

/** A page cursor: the last row's `[name, id]` as base64url JSON (names may contain any character). */
export function customersCursor(row: { name: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.name, row.id]), "utf8").toString("base64url");
}

const cursorSchema = z.string().transform((cursor, ctx) => {
  const fail = () => {
    ctx.addIssue({ code: "custom", message: NOT_A_CURSOR, input: cursor });
    return z.NEVER;
  };
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return fail();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return fail();
  }
  const parsed = z.tuple([z.string().refine((name) => !name.includes("\u0000") && name.isWellFormed()), z.uuid()]).safeParse(decoded);
  if (!parsed.success) return fail();
  const [name, id] = parsed.data;
  return { name, id };
});

export const customersQuerySchema = storable(
  z.object({
    /** Prefix of the name, e-mail or external id, any case. */
    q: z.string().trim().max(200, "Search is at most 200 characters").optional(),
    cursor: cursorSchema.optional(),
    limit: pageLimitSchema,
  }),
);
export type CustomersQuery = z.output<typeof customersQuerySchema>;
