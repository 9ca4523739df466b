import { sql } from "drizzle-orm";
import { addToAttemptMinutes } from "./attempt-minutes";
import { USER_AGENT } from "./policy/delivery-rules";
import { createAttemptPartitions } from "../db/attempt-partitions";
import type { Database } from "../db/client";

/**
 * A delivery history to try the Logs and Queue on (`npm run db:seed -- --attempts N`): a few active
 * sites, ~1,000 customers and finished messages with exactly N attempts over the last 30 days (or
 * `days`, up to 89: the history stays within the retention).
 *
 * Nothing it writes is ever delivered: every message is finished (`done` or `failed`, no
 * `next_attempt_at`), so a running worker finds nothing due, and the sites point at the discard
 * port of the loopback address. Rows are made by set-based SQL (generate_series), in one transaction.
 */

/** The seeded history spans this many days back from now, unless told otherwise. */
const HISTORY_DAYS = 30;
export const MAX_HISTORY_DAYS = 89;
export const SEED_SITE_URL = "http://127.0.0.1:9/";
export const SEED_SITE_PREFIX = "Seed: ";
export const SEED_CUSTOMER_COUNT = 1000;
const SEED_CUSTOMER_EMAIL = "seed-customer-%@example.com";

/**
 * The seeded sites: share of the messages, chance that the receiver is down for a message (all 5
 * attempts fail), chance of a transient failure (resent 1–4 times, then done), and the actions its
 * workflows send it (equally often): like real sites, each one receives only some actions, so some
 * site + action filters match nothing. "CRM Sync" also had a one-hour outage four hours ago, so the
 * attempts-per-minute chart has something to show.
 */
export const SEED_SITES = [
  { name: "Billing API", share: 0.35, down: 0.004, flaky: 0.03, outage: false, actions: ["order.placed", "invoice.paid", "subscription.cancelled", "customer.created"] },
  { name: "CRM Sync", share: 0.25, down: 0.01, flaky: 0.05, outage: true, actions: ["customer.created", "customer.updated", "order.placed", "subscription.cancelled"] },
  { name: "Warehouse", share: 0.2, down: 0.002, flaky: 0.02, outage: false, actions: ["order.placed", "order.shipped"] },
  { name: "Marketing Hub", share: 0.12, down: 0.01, flaky: 0.08, outage: false, actions: ["customer.created", "customer.updated", "order.placed"] },
  { name: "Legacy ERP", share: 0.08, down: 0.12, flaky: 0.25, outage: false, actions: ["order.placed", "order.shipped", "invoice.paid", "customer.updated"] },
] as const;

/** How a failing receiver fails: one way per message, on every failed attempt of it. */
const FAILURES = sql`(values
  (0, 503, 'the receiver answered 503', 'Service Unavailable', 4, 60),
  (1, 502, 'the receiver answered 502', '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', 20, 200),
  (2, 500, 'the receiver answered 500', '{"error":"internal_error","message":"Unexpected error, please retry"}', 30, 400),
  (3, 429, 'the receiver answered 429', '{"error":"rate_limited","retryAfter":10}', 3, 20),
  (4, null, 'no response within 10000 ms (timeout)', null, 10000, 0),
  (5, null, 'connection failed (ECONNREFUSED)', null, 1, 3)
) as fl (kind, code, error, excerpt, base_ms, spread_ms)`;
const FAILURE_KINDS = 6;
const RETRY_STEP = sql`interval '21 seconds'`;

/** A 2xx answer: code and excerpt. */
const SUCCESS = sql`(values
  (0, 200, '{"ok":true}'),
  (1, 202, '{"status":"accepted"}'),
  (2, 201, '{"received":true}'),
  (3, 204, null)
) as ok (kind, code, excerpt)`;

export class SeedDataPresentError extends Error {
  override name = "SeedDataPresentError";
}

export interface SeedProgress {
  step: string;
  rows: number;
  ms: number;
}

export interface SeededHistory {
  sites: number;
  customers: number;
  messages: number;
  attempts: number;
}

/**
 * Seeds a history of exactly `attempts` attempts. Refuses (SeedDataPresentError) when seeded sites
 * exist already, so running it twice never doubles the history; a fresh database (or DATA_DIR) reseeds.
 */
export async function seedDeliveryHistory(
  db: Database,
  options: { attempts: number; days?: number; onProgress?: (p: SeedProgress) => void },
): Promise<SeededHistory> {
  const target = Math.floor(options.attempts);
  if (!(target > 0)) throw new RangeError("attempts must be a positive number");
  const days = options.days ?? HISTORY_DAYS;
  if (!(Number.isInteger(days) && days >= 1 && days <= MAX_HISTORY_DAYS)) throw new RangeError(`days must be a whole number from 1 to ${MAX_HISTORY_DAYS}`);
  const report = options.onProgress ?? (() => {});
  const step = async (name: string, statement: ReturnType<typeof sql>, run: (s: ReturnType<typeof sql>) => Promise<{ count: number }>) => {
    const start = performance.now();
    const { count } = await run(statement);
    report({ step: name, rows: count, ms: performance.now() - start });
    return count;
  };

  // The seeded history's days get their attempt partitions, as a live database has them (else its rows would sit in the default one).
  await createAttemptPartitions(db, new Date(Date.now() - (days + 1) * 86_400_000), new Date());
  const summary = await db.transaction(async (tx) => {
    const run = (s: ReturnType<typeof sql>) => tx.execute(s);
    const [present] = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from trusted_sites where name like ${SEED_SITE_PREFIX + "%"}`,
    );
    if (present!.n > 0) {
      throw new SeedDataPresentError(
        `Seeded delivery history is already present (${present!.n} "${SEED_SITE_PREFIX}…" sites): seed a fresh database (or DATA_DIR) to start over.`,
      );
    }
    const sites = await step("trusted sites", insertSites(), run);
    await run(sql`create temp table seed_sites on commit drop as ${seedSites()}`);
    const customers = await step("customers", insertCustomers(), run);
    await run(sql`create temp table seed_customers on commit drop as
      select (row_number() over (order by email) - 1)::int as no, id from customers where email like ${SEED_CUSTOMER_EMAIL}`);
    await step("message plan", planMessages(target, days), run);
    await run(sql`update seed_plan set n = ${target}::int - (upto - n), failed = false, last_ms = ok_ms where upto > ${target}::int`);
    const messages = await step("messages", insertMessages(), run);
    const attempts = await step("attempts", insertAttempts(), run);
    if (attempts !== target) throw new Error(`seeded ${attempts} attempts instead of ${target}`);
    // What recording the outcomes would have added to the per-minute rollup.
    await step("attempt minutes", sql`with finished as (
        select a.site_id, a.created_at, a.status, a.duration_ms from webhook_attempts a join seed_sites s on s.id = a.site_id
        where a.status <> 'queued')
      ${addToAttemptMinutes(sql`finished`)}`, run);
    return { sites, customers, messages, attempts };
  });
  // What autovacuum does soon after a bulk insert: planner statistics and the visibility map that
  // index-only scans need. Outside the transaction: VACUUM cannot run in one.
  await step("vacuum analyze", sql`vacuum (analyze) webhook_messages, webhook_attempts, attempt_minutes, customers, trusted_sites`, async (s) => {
    await db.execute(s);
    return { count: 0 };
  });
  return summary;
}

function insertSites() {
  const names = SEED_SITES.map((s) => SEED_SITE_PREFIX + s.name);
  return sql`insert into trusted_sites (name, url, auth_method, status, rps, threads)
    select name, ${SEED_SITE_URL}, 'none', 'active', 20, 4 from unnest(${sql.param(names)}::text[]) as name`;
}

/** The seeded sites with the cumulative share range [lo, hi) that picks them. */
function seedSites() {
  let lo = 0;
  const rows = SEED_SITES.map((s, i) => {
    const hi = i === SEED_SITES.length - 1 ? 2 : lo + s.share;
    const row = sql`(${SEED_SITE_PREFIX + s.name}, ${lo}::float8, ${hi}::float8, ${s.down}::float8, ${s.flaky}::float8, ${s.outage}, ${sql.param([...s.actions])}::text[])`;
    lo = hi;
    return row;
  });
  return sql`select t.id, spec.* from (values ${sql.join(rows, sql`, `)}) as spec (name, lo, hi, down, flaky, outage, actions)
    join trusted_sites t on t.name = spec.name`;
}

function insertCustomers() {
  return sql`insert into customers (name, email)
    select (array['Ada','Grace','Alan','Katherine','Edsger','Barbara','Donald','Frances','John','Margaret',
                  'Niklaus','Radia','Tim','Hedy','Ken','Sophie','Linus','Annie','Dennis','Joan'])[1 + i % 20]
           || ' ' ||
           (array['Lovelace','Hopper','Turing','Johnson','Dijkstra','Liskov','Knuth','Allen','Backus','Hamilton',
                  'Wirth','Perlman','Berners-Lee','Lamarr','Thompson','Wilson','Torvalds','Easley','Ritchie','Clarke'])[1 + (i / 20) % 20]
           || case when i >= 400 then ' ' || (i / 400 + 1)::text else '' end,
           format('seed-customer-%s@example.com', lpad(i::text, 4, '0'))
    from generate_series(0, ${SEED_CUSTOMER_COUNT - 1}::int) i
    on conflict (email) do nothing`;
}

/** Attempts per message on average, from the sites' failure rates (transient failures: 2..5 attempts). */
function expectedAttemptsPerMessage() {
  return SEED_SITES.reduce((sum, s) => sum + s.share * (s.down * 5 + s.flaky * 3.5 + (1 - s.down - s.flaky)), 0);
}

/**
 * One row per message (seq 1 = five minutes ago, then back in time, stored oldest first): its site,
 * customer (a few big customers, many small ones), action, fate, attempt count `n`, the durations of
 * its failed and last attempts, and `upto`, the running total of attempts. Only the messages needed
 * to reach `target` attempts are kept; the last one is then cut short to land exactly on it.
 */
function planMessages(target: number, days: number) {
  const expectedMessages = target / expectedAttemptsPerMessage();
  const drawn = Math.ceil(expectedMessages * 1.1) + 50;
  return sql`create temp table seed_plan on commit drop as
    with draws as (
      select i as seq,
        now() - interval '5 minutes' - ((i - 1) + random()) * (${days}::int * interval '1 day' / ${expectedMessages}::float8) as created_at,
        random() as r_site, random() as r_customer, random() as r_action, random() as r_fate, random() as r_retries,
        floor(random() * ${FAILURE_KINDS})::int as fail_kind, random() as r_ms, random() as r_ok
      from generate_series(1, ${drawn}::int) i
    ), fated as (
      select d.seq, ${timeOrderedId(sql`d.created_at`)} as id, d.created_at, s.id as site_id, c.id as customer_id,
        s.actions[1 + floor(d.r_action * cardinality(s.actions))::int] as action,
        (s.outage and d.created_at between now() - interval '5 hours' and now() - interval '4 hours') or d.r_fate < s.down as failed,
        d.r_fate < s.down + s.flaky as flaky, d.r_retries, d.fail_kind, d.r_ms, d.r_ok
      from draws d
      join seed_sites s on d.r_site >= s.lo and d.r_site < s.hi
      join seed_customers c on c.no = floor(power(d.r_customer, 2) * ${SEED_CUSTOMER_COUNT})::int
    ), sized as (
      select f.seq, f.id, f.created_at, f.site_id, f.customer_id, f.action, f.failed, f.fail_kind,
        case when f.failed then 5 when f.flaky then 2 + floor(f.r_retries * 4)::int else 1 end as n,
        case when f.r_ok < 0.85 then 0 when f.r_ok < 0.93 then 1 when f.r_ok < 0.97 then 2 else 3 end as ok_kind,
        (15 + floor(power(f.r_ms, 3) * 900))::int as ok_ms,
        fl.base_ms + floor(f.r_ms * fl.spread_ms)::int as fail_ms
      from fated f join ${FAILURES} on fl.kind = f.fail_kind
    ), counted as (
      select s.*, sum(s.n) over (order by s.seq)::int as upto from sized s
    )
    select c.*, case when c.failed then c.fail_ms else c.ok_ms end as last_ms
    from counted c
    where c.upto - c.n < ${target}::int
    order by c.seq desc`;
}

/**
 * A UUID (version 7 layout: creation milliseconds, then random bits) so that rows inserted in time
 * order land next to each other in the primary key and the attempts' (message_id, attempt_no) index.
 */
function timeOrderedId(createdAt: ReturnType<typeof sql>) {
  return sql`(lpad(to_hex((extract(epoch from ${createdAt}) * 1000)::bigint), 12, '0') || '7'
    || substr(md5(random()::text), 1, 3) || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid`;
}

/** The message rows: finished (`done`/`failed`) when their last attempt finished, nothing due. */
function insertMessages() {
  return sql`insert into webhook_messages (id, site_id, customer_id, action, payload, content_hash, status, attempts, created_at, finished_at)
    select p.id, p.site_id, p.customer_id, p.action, body.payload,
      encode(sha256(convert_to(body.payload::text, 'UTF8')), 'hex'),
      (case when p.failed then 'failed' else 'done' end)::delivery_status, p.n, p.created_at,
      p.created_at + (p.n - 1) * ${RETRY_STEP} + (3 + p.last_ms) * interval '1 millisecond'
    from seed_plan p
    cross join lateral (select jsonb_build_object(
      'reference', upper(substr(p.id::text, 1, 8)), 'amount', round((p.ok_ms * 0.53 + 20)::numeric, 2),
      'currency', 'EUR', 'source', 'seed') as payload) body`;
}

/**
 * Attempt k of a message is scheduled (k-1) × 21 s after the message (a failed attempt plus the
 * 10 s retry interval), starts 3 ms later; every attempt but the last is `resent`.
 */
function insertAttempts() {
  return sql`insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at,
      scheduled_at, started_at, finished_at, response_code, duration_ms, error, response_excerpt, request)
    select p.id, p.site_id, p.customer_id, p.action, k,
      (case when k < p.n then 'resent' when p.failed then 'failed' else 'done' end)::delivery_status,
      case when k = 1 then t.scheduled_at else t.scheduled_at - interval '10 seconds' end,
      t.scheduled_at, t.scheduled_at + interval '3 milliseconds', t.scheduled_at + (3 + t.ms) * interval '1 millisecond',
      case when t.ok then ok.code else fl.code end, t.ms,
      case when t.ok then null else fl.error end,
      case when t.ok then ok.excerpt else fl.excerpt end,
      jsonb_build_object('method', 'POST', 'url', ${SEED_SITE_URL}::text, 'headers', jsonb_build_object(
        'content-type', 'application/json', 'webhook-id', p.id::text, 'user-agent', ${USER_AGENT}::text,
        'webhook-timestamp', floor(extract(epoch from t.scheduled_at))::bigint::text))
    from seed_plan p
    cross join lateral generate_series(1, p.n) k
    cross join lateral (select p.created_at + (k - 1) * ${RETRY_STEP} as scheduled_at, k = p.n and not p.failed as ok,
      case when k = p.n and not p.failed then p.ok_ms else p.fail_ms end as ms) t
    join ${FAILURES} on fl.kind = p.fail_kind
    join ${SUCCESS} on ok.kind = p.ok_kind`;
}
