import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** A row's timestamp in microseconds, as text: the first half of its page cursor (lib/page-cursor.ts). */
export const positionOf = (column: PgColumn) => sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`;

/** A cursor's timestamp back as timestamptz, cast in SQL (a JS Date would drop the microseconds). */
export const positionBound = (micros: string): SQL => sql`(timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond')`;
