import { sql, type SQL } from "drizzle-orm";

/**
 * The per-minute rollup of finished attempts (`attempt_minutes`, docs/design.md §2–3): what the Logs
 * chart and site health read instead of the attempts.
 *
 * A row counts the attempts of one site created in one minute (UTC, `date_bin` from the epoch, as the
 * chart's buckets) that ended with one status — `resent`, `failed` or `done` — with the sum and a
 * histogram of their durations (duration-histogram.ts). An attempt is added once, when it ends:
 * keyed by its `created_at`, the counts are exactly what counting the attempts by creation time and
 * status gives, less the attempts still `queued`.
 */

/**
 * An INSERT … ON CONFLICT adding `finished` (a CTE or table with the ended attempts' site_id,
 * created_at, status and duration_ms) to the rollup: one row update per (site, minute, status), in
 * key order, so batches of concurrent writers lock the rows they share in the same order and cannot
 * deadlock. Writers of attempt outcomes put it in their own statement as a CTE (record-outcome.ts,
 * cancel-message.ts), so the rollup commits with the attempts.
 */
export function addToAttemptMinutes(finished: SQL): SQL {
  return sql`insert into attempt_minutes as t (site_id, minute, status, attempts, duration_ms_sum, durations)
      select site_id, date_bin('1 minute', created_at, timestamptz 'epoch'), status, count(*)::int,
        coalesce(sum(duration_ms), 0), attempt_durations(array_agg(duration_ms))
      from ${finished} as finished group by 1, 2, 3 order by 1, 2, 3
      on conflict (site_id, minute, status) do update set
        attempts = t.attempts + excluded.attempts,
        duration_ms_sum = t.duration_ms_sum + excluded.duration_ms_sum,
        durations = attempt_durations_add(t.durations, excluded.durations)
      returning 1`;
}
