import type postgres from "postgres";

/**
 * Attempts per minute (or hour) by status for the Logs chart, in the two shapes worth comparing:
 *
 * - `plain`: `created_at` range only. Reads every attempt of the range from the table (status is not
 *   in the (created_at, id) index), so its cost grows with the range.
 * - `by status`: also `status = any(<every status>)`, which changes no result but lets PostgreSQL
 *   answer from the (status, created_at, id) index alone: an index-only scan per status over the range.
 *   With a site filter the same holds for (site_id, status, created_at, id).
 */
export interface ChartQuery {
  name: string;
  sql: string;
  params: (string | number)[];
}

const STATUSES = "array['queued','resent','done','failed']::delivery_status[]";

export function chartQueries(siteId: string): ChartQuery[] {
  const shapes = [
    { range: "1 hour", bucket: "1 minute" },
    { range: "24 hours", bucket: "1 minute" },
    { range: "7 days", bucket: "1 minute" },
    { range: "7 days", bucket: "1 hour" },
  ];
  const queries: ChartQuery[] = [];
  for (const { range, bucket } of shapes) {
    for (const byStatus of [false, true]) {
      for (const site of [false, true]) {
        const where = [
          "created_at >= now() - $1::interval",
          "created_at < now()",
          byStatus ? `status = any(${STATUSES})` : null,
          site ? "site_id = $3::uuid" : null,
        ].filter(Boolean);
        queries.push({
          name: `chart: last ${range} per ${bucket}${site ? ", one site" : ""}${byStatus ? " (status = any)" : " (plain)"}`,
          sql: `select date_bin($2::interval, created_at, timestamptz '2000-01-01') as bucket, status, count(*)::int as attempts
                from webhook_attempts where ${where.join(" and ")}
                group by 1, 2 order by 1, 2`,
          params: site ? [range, bucket, siteId] : [range, bucket],
        });
      }
    }
  }
  return queries;
}

export function runChartQuery(sql: postgres.Sql, query: ChartQuery) {
  return sql.unsafe(query.sql, query.params);
}
