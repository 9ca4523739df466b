import type postgres from "postgres";
import { SEED_SITE_PREFIX } from "../../lib/delivery/seed-deliveries";

/** Sites, customers and positions of the seeded history that make the interesting cases. */
export interface BenchFixtures {
  attempts: number;
  sites: { largest: string; smallest: string; healthiest: string };
  /** Seeded site ids by name without the prefix ("Warehouse"). */
  siteNamed: (name: string) => string;
  customers: { largest: string; typical: string };
  rarestAction: string;
  /** A Logs cursor at the newest attempt created 25 days ago or earlier. */
  cursor25DaysAgo: string;
  failedMessageId: string;
}

export async function findFixtures(sql: postgres.Sql): Promise<BenchFixtures> {
  const sites = await sql<{ id: string; name: string; attempts: number; failed: number }[]>`
    select a.site_id as id, min(s.name) as name, count(*)::int as attempts, count(*) filter (where a.status = 'failed')::int as failed
    from webhook_attempts a join trusted_sites s on s.id = a.site_id
    where s.name like ${SEED_SITE_PREFIX + "%"} group by 1 order by 2 desc`;
  if (sites.length === 0) throw new Error("No seeded history: run `npm run db:seed -- --attempts 1000000` first.");
  const customers = await sql<{ id: string }[]>`
    select customer_id as id from webhook_attempts group by 1 order by count(*) desc`;
  const [action] = await sql<{ action: string }[]>`
    select action from webhook_attempts group by 1 order by count(*) limit 1`;
  const [position] = await sql<{ cursor: string }[]>`
    select (extract(epoch from created_at) * 1000000)::bigint::text || '.' || id as cursor from webhook_attempts
    where created_at <= now() - interval '25 days' order by created_at desc, id desc limit 1`;
  const [failed] = await sql<{ id: string }[]>`select id from webhook_messages where status = 'failed' limit 1`;
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from webhook_attempts`;
  return {
    attempts: count!.n,
    sites: {
      largest: sites[0]!.id,
      smallest: sites.at(-1)!.id,
      healthiest: [...sites].sort((a, b) => a.failed / a.attempts - b.failed / b.attempts)[0]!.id,
    },
    siteNamed: (name) => {
      const site = sites.find((s) => s.name === SEED_SITE_PREFIX + name);
      if (!site) throw new Error(`No seeded site "${name}"`);
      return site.id;
    },
    customers: { largest: customers[0]!.id, typical: customers[Math.floor(customers.length / 2)]!.id },
    rarestAction: action!.action,
    cursor25DaysAgo: position!.cursor,
    failedMessageId: failed!.id,
  };
}
