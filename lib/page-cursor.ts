import { z } from "zod";

/*
 * Keyset paging shared by the Logs, the Queue and run histories. Client-safe (zod only); the SQL
 * half is lib/db/page-position.ts.
 */

/** Dates both PostgreSQL and JS Date handle. */
export const LATEST_DATE_MS = Date.UTC(10_000, 0, 1);

const NOT_A_CURSOR = "Not a cursor from this API";

/**
 * A page cursor, `<timestamp in microseconds>.<id>`: milliseconds would skip rows made within the
 * same millisecond. Both parts are checked to be what PostgreSQL accepts, so a forged cursor is a
 * 422, not a failed query.
 */
export const pageCursorSchema = (id: z.ZodType<string>) =>
  z.string().transform((cursor, ctx) => {
    const [micros = "", rowId = "", ...rest] = cursor.split(".");
    const inRange = /^\d{1,18}$/.test(micros) && BigInt(micros) < BigInt(LATEST_DATE_MS) * 1000n;
    if (rest.length > 0 || !inRange || !id.safeParse(rowId).success) {
      ctx.addIssue({ code: "custom", message: NOT_A_CURSOR, input: cursor });
      return z.NEVER;
    }
    return { micros, id: rowId };
  });

export type PageCursor = { micros: string; id: string };

export const pageLimitSchema = z.coerce.number().int().min(1).max(200).default(50);
