/**
 * Purge impact (bench:delivery phase 6; BENCH_PURGE=0 skips it): what expiring 1,000,000 attempts costs
 * the deliveries running beside it. Seeds 200,000 finished messages of 5 attempts each, 91 to 100
 * days old, in their day partitions (as a live system has them), then streams messages through the
 * worker at a steady rate three times (after a warm-up run): without the purge, with purgeExpired() running (the local
 * worker's timer job: drops the expired days, deletes the expired messages in batches), and without
 * it again. Prints enqueue → receiver p50/p99 of each run and p99 with / without.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import { createAttemptPartitions, listAttemptPartitions } from "../../lib/db/attempt-partitions";
import { enqueue } from "../../lib/delivery/enqueue";
import { purgeExpired } from "../../lib/delivery/purge-expired";
import { insertBenchSite, type BenchDatabase } from "./bench-database";
import { percentile, type LoopbackReceiver } from "./loopback-receiver";

const EXPIRED_ATTEMPTS = Number(process.env.BENCH_PURGE_ATTEMPTS ?? 1_000_000);
/** Messages per second streamed during each run, and for how long. */
const STREAM_RATE = Number(process.env.BENCH_PURGE_RATE ?? 100);
const STREAM_SECONDS = Number(process.env.BENCH_PURGE_SECONDS ?? 15);
/** BENCH_PURGE_MESSAGES=0: the seeded messages finished recently, so the purge only drops the attempts' days. */
const EXPIRE_MESSAGES = process.env.BENCH_PURGE_MESSAGES !== "0";
const ATTEMPTS_PER_MESSAGE = 5;
const DAY_MS = 86_400_000;

type Row = (name: string, value: string, target?: string) => void;
const load = () => os.loadavg()[0]!.toFixed(2);

/** Expired finished messages with their attempts, spread over the days 100..91 ago, each day in its partition. */
async function seedExpired(database: BenchDatabase, siteId: string, customerId: string) {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  await createAttemptPartitions(database.db, new Date(today - 100 * DAY_MS), new Date(today - 91 * DAY_MS));
  const messages = Math.ceil(EXPIRED_ATTEMPTS / ATTEMPTS_PER_MESSAGE);
  const chunk = 20_000;
  for (let first = 0; first < messages; first += chunk) {
    const count = Math.min(chunk, messages - first);
    await database.db.execute(sql`
      with m as (
        insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts, created_at, finished_at)
        select ${siteId}, ${customerId}, 'bench.expired', '{}'::jsonb, md5(n::text), 'done', ${ATTEMPTS_PER_MESSAGE}::int, t,
          case when ${EXPIRE_MESSAGES}::boolean then t + interval '1 minute' else now() end
        from (select n, now() - interval '100 days' + (n::float8 / ${messages}::float8) * interval '9 days 12 hours' as t
              from generate_series(${first + 1}::int, ${first + count}::int) n) s
        returning id, created_at
      )
      insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at, started_at, finished_at, response_code, duration_ms)
      select m.id, ${siteId}, ${customerId}, 'bench.expired', a, case when a = ${ATTEMPTS_PER_MESSAGE}::int then 'done' else 'resent' end::delivery_status,
        m.created_at + (a - 1) * interval '10 seconds', m.created_at + (a - 1) * interval '10 seconds',
        m.created_at + (a - 1) * interval '10 seconds', m.created_at + (a - 1) * interval '10 seconds' + interval '40 ms',
        case when a = ${ATTEMPTS_PER_MESSAGE}::int then 200 else 503 end, 40
      from m, generate_series(1, ${ATTEMPTS_PER_MESSAGE}::int) a`);
  }
  await database.db.execute(sql`vacuum (analyze) webhook_messages, webhook_attempts`);
  await database.db.execute(sql`checkpoint`);
}

/** Streams STREAM_RATE messages a second for STREAM_SECONDS through enqueue(); returns each one's enqueue → receiver ms. */
async function streamRun(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, name: string) {
  const pathName = `/purge-${name}`;
  const siteId = await insertBenchSite(database.db, `${receiver.url}${pathName}`, 100_000, 50);
  const count = STREAM_RATE * STREAM_SECONDS;
  const sentAt = new Map<string, number>();
  const started = Date.now();
  const enqueues: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / STREAM_RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const before = Date.now();
    enqueues.push(enqueue(database.db, { siteId, customerId, action: "bench.purge", payload: { i } }).then(({ id }) => void sentAt.set(id, before)));
  }
  await Promise.all(enqueues);
  const deadline = Date.now() + 120_000;
  while (receiver.ids(pathName).length < count) {
    if (Date.now() > deadline) throw new Error(`purge impact: ${receiver.ids(pathName).length} of ${count} messages arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ids = receiver.ids(pathName);
  const times = receiver.arrivals(pathName);
  return ids.map((id, i) => times[i]! - sentAt.get(id)!);
}

export async function measurePurgeImpact(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, row: Row) {
  const seedSite = await insertBenchSite(database.db, "http://127.0.0.1:9/expired", 1, 1);
  const seedStarted = Date.now();
  await seedExpired(database, seedSite, customerId);
  const expiredDays = (await listAttemptPartitions(database.db)).filter((p) => p.to.getTime() <= Date.now() - 90 * DAY_MS).length;
  console.error(`  purge impact: seeded ${EXPIRED_ATTEMPTS} expired attempts in ${expiredDays} day partitions in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s (load ${load()})`);

  // Not counted: the first run after seeding pays for the seed's writes still being flushed.
  await streamRun(database, receiver, customerId, "warm-up");
  const before = await streamRun(database, receiver, customerId, "before");
  console.error(`  purge impact: without purge p99 ${percentile(before, 99)} ms (load ${load()})`);
  const purgeStarted = Date.now();
  let purgeMs = NaN;
  let purged: Awaited<ReturnType<typeof purgeExpired>> | undefined;
  const purge = purgeExpired(database.db).then((r) => {
    purgeMs = Date.now() - purgeStarted;
    purged = r;
  });
  const during = await streamRun(database, receiver, customerId, "during");
  const runMs = Date.now() - purgeStarted;
  await purge;
  console.error(`  purge impact: with purge p99 ${percentile(during, 99)} ms (load ${load()})`);
  const after = await streamRun(database, receiver, customerId, "after");
  console.error(`  purge impact: without purge again p99 ${percentile(after, 99)} ms (load ${load()})`);
  const [left] = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from webhook_attempts where site_id = ${seedSite}`);

  const without = [...before, ...after];
  const ratio = percentile(during, 99) / percentile(without, 99);
  const runDesc = `${STREAM_RATE}/s for ${STREAM_SECONDS} s`;
  row(
    `6. purge impact: purgeExpired() of ${EXPIRED_ATTEMPTS.toLocaleString("en")} expired attempts (${purged?.partitions} day partitions dropped, ${purged?.messages} messages deleted)`,
    `${(purgeMs / 1000).toFixed(1)} s${purgeMs > runMs ? " (longer than the run)" : ""}, ${left!.n} of the seeded attempts left`,
    "0 left",
  );
  row(`6. purge impact: delivery enqueue → receiver without purge (${runDesc}, runs before and after)`, `p50 ${percentile(without, 50)} ms, p99 ${percentile(without, 99)} ms (before ${percentile(before, 99)}, after ${percentile(after, 99)})`);
  row(`6. purge impact: delivery enqueue → receiver with the purge running (${runDesc})`, `p50 ${percentile(during, 50)} ms, p99 ${percentile(during, 99)} ms (load ${load()})`);
  row("6. purge impact: p99 with / without purge", ratio.toFixed(2), "≤ 1.10");
}
