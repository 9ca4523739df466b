import { sql } from "drizzle-orm";
import type { DatabaseHandle } from "../../lib/db/client";

/**
 * Watches a round's messages once a second; the first time their number in flight stays the same for
 * `quietMs` (nothing finished: a stall, as a 56 s two-worker round and a 62 s throughput round were
 * once), prints what those messages are doing (claimed or not, by whom, when due, their last attempt)
 * and what the workers logged since the round began. Returns a stop function.
 */
export function watchForStall(
  db: DatabaseHandle["db"],
  siteIds: string[],
  label: string,
  workerOutputs: (() => string)[] = [],
  quietMs = 2_000,
): () => void {
  const outputsAt = workerOutputs.map((o) => o().length);
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  let reported = false;
  let stopped = false;
  const timer = setInterval(() => {
    void (async () => {
      const left = await inFlightOf(db, siteIds);
      if (stopped || reported) return;
      if (left !== last) {
        last = left;
        lastChange = Date.now();
        return;
      }
      if (left === 0 || Date.now() - lastChange < quietMs) return;
      reported = true;
      console.error(`    ${label}: stalled at ${left} in flight, ${((Date.now() - started) / 1000).toFixed(1)} s into the round`);
      for (const line of await describeInFlight(db, siteIds)) console.error(`      ${line}`);
      const logged = workerOutputs.flatMap((o, i) => o().slice(outputsAt[i]).split("\n").filter(Boolean).map((l) => `worker ${i + 1}: ${l}`));
      for (const line of logged.slice(-15)) console.error(`      ${line}`);
    })().catch((error) => console.error(`    ${label}: stall watch failed: ${error}`));
  }, 1_000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

const siteList = (siteIds: string[]) => `{${siteIds.join(",")}}`;

/** Messages of the sites not yet done or failed, in one count (one query per site would weigh on a 100-site round). */
export async function inFlightOf(db: DatabaseHandle["db"], siteIds: string[]): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from webhook_messages
    where site_id = any(${siteList(siteIds)}::uuid[]) and status in ('queued', 'resent')`);
  return row!.n;
}

/** The messages in flight grouped by what holds them back, with their latest attempt's state. */
async function describeInFlight(db: DatabaseHandle["db"], siteIds: string[]): Promise<string[]> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    select m.status, m.attempts, left(m.locked_by::text, 8) as locked_by,
      round(extract(epoch from m.locked_until - clock_timestamp()))::int as claim_left_s,
      round(extract(epoch from m.next_attempt_at - clock_timestamp()))::int as due_in_s,
      m.attempt_started_at is not null as started, a.status as attempt_status, a.attempt_no,
      count(*)::int as n
    from webhook_messages m
    left join lateral (
      select status, attempt_no from webhook_attempts a where a.message_id = m.id order by attempt_no desc limit 1
    ) a on true
    where m.site_id = any(${siteList(siteIds)}::uuid[]) and m.status in ('queued', 'resent')
    group by 1, 2, 3, 4, 5, 6, 7, 8 order by n desc limit 12`);
  // Thread slots held now: one held for a message no longer in flight (or by none) leaves the site's
  // room short, and a claim that finds no room claims nothing.
  const leases = await db.execute<Record<string, unknown>>(sql`
    select l.message_id is null as no_holder, coalesce(m.status::text, '-') as holder_status,
      round(extract(epoch from l.expires_at - clock_timestamp()))::int as expires_in_s, count(*)::int as n
    from site_leases l left join webhook_messages m on m.id = l.message_id
    where l.site_id = any(${siteList(siteIds)}::uuid[]) and l.expires_at > clock_timestamp()
    group by 1, 2, 3 order by n desc limit 6`);
  return [...rows, ...leases.map((l) => ({ lease: l }))].map((r) => JSON.stringify(r));
}
