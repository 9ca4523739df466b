import { sql } from "drizzle-orm";
import type { Database } from "../db";
import { IN_FLIGHT } from "../delivery/policy/delivery-rules";
import { metrics, siteLabels } from "./metrics";

const IN_FLIGHT_SQL = sql.raw(IN_FLIGHT.map((s) => `'${s}'`).join(", "));

type SiteGauge = {
  id: string;
  name: string;
  value: number;
};

/**
 * Messages in flight per site, every site listed (0 when none). Reads only in-flight rows, through
 * the partial in-flight index, so its cost follows the queue, not the 90 days of history.
 */
function queueDepth(db: Database) {
  return db.execute<SiteGauge>(sql`
    select s.id, s.name, coalesce(q.depth, 0)::int as value
    from trusted_sites s
    left join (
      select site_id, count(*) as depth from webhook_messages where status in (${IN_FLIGHT_SQL}) group by site_id
    ) q on q.site_id = s.id`);
}

/**
 * Per active site, how long its oldest due, unclaimed message has waited (0 when none): a range
 * scan of the due index up to now. Paused sites have nothing due (their messages wait on purpose).
 */
function dueLag(db: Database) {
  return db.execute<SiteGauge>(sql`
    select s.id, s.name,
      case when s.status = 'active' then coalesce(extract(epoch from now() - d.oldest), 0) else 0 end::float8 as value
    from trusted_sites s
    left join (
      select site_id, min(next_attempt_at) as oldest from webhook_messages
      where status in (${IN_FLIGHT_SQL}) and next_attempt_at <= now()
        and (locked_until is null or locked_until <= now())
      group by site_id
    ) d on d.site_id = s.id`);
}

/** The Prometheus text exposition: this process's counters, and the queue gauges read now. */
export async function readMetrics(db: Database): Promise<{ contentType: string; text: string }> {
  const m = metrics();
  const [depths, lags] = await Promise.all([queueDepth(db), dueLag(db)]);
  // Reset first, so a deleted site's series disappears.
  m.queueDepth.reset();
  m.dueLag.reset();
  for (const row of depths) m.queueDepth.set(siteLabels(row), Number(row.value));
  for (const row of lags) m.dueLag.set(siteLabels(row), Number(row.value));
  return { contentType: m.registry.contentType, text: await m.registry.metrics() };
}
