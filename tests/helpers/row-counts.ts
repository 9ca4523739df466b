import type postgres from "postgres";

/** Rows in every table of the app's schema, by table name: "nothing was written" is "these are unchanged". */
export async function rowCounts(sql: postgres.Sql): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' order by 1`;
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(name)}`;
    counts[name] = row!.n;
  }
  return counts;
}
