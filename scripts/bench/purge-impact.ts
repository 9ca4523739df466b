/**
 * Purge impact (bench:delivery phase 6; BENCH_PURGE=0 skips it): what expiring 1,000,000 attempts costs
 * the deliveries running beside it. Seeds 200,000 finished messages of 5 attempts each, 91 to 100
 * days old, in their day partitions (as a live system has them), then streams messages through the
 * worker at a steady rate three times (after a warm-up run): without the purge, with purgeExpired() running (the local
 * worker's timer job: drops the expired days, deletes the expired messages in batches; the run goes on
 * until the purge has ended), and without it again. Prints enqueue → receiver p50/p99 of each run and p99 with / without.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import { createAttemptPartitions, listAttemptPartitions } from "../../lib/db/attempt-partitions";
import { enqueue } from "../../lib/delivery/enqueue";
import { purgeExpired } from "../../lib/delivery/purge-expired";
import { insertBenchSite, type BenchDatabase } from "./bench-database";
import { percentile, preciseNow, tenth, type LoopbackReceiver } from "./loopback-receiver";
import { sampleWaits } from "./wait-sampler";

const EXPIRED_ATTEMPTS = Number(process.env.BENCH_PURGE_ATTEMPTS ?? 1_000_000);
/** Messages per second streamed during each run, and for how long. */
const STREAM_RATE = Number(process.env.BENCH_PURGE_RATE ?? 100);
const STREAM_SECONDS = Number(process.env.BENCH_PURGE_SECONDS ?? 15);
/** BENCH_PURGE_MESSAGES=0: the seeded messages finished recently, so the purge only drops the attempts' days. */
const EXPIRE_MESSAGES = process.env.BENCH_PURGE_MESSAGES !== "0";
/** BENCH_PURGE_WAITS=1: prints what the backends waited on during each run (wait-sampler.ts). */
const SAMPLE_WAITS = process.env.BENCH_PURGE_WAITS === "1";
/** BENCH_PURGE_BATCH=250: the purge's rows per delete statement (purgeExpired's default otherwise). */
const PURGE_BATCH = process.env.BENCH_PURGE_BATCH ? Number(process.env.BENCH_PURGE_BATCH) : undefined;
/** BENCH_PURGE_PAUSE=1: the purge pauses as long as each delete took (purgeExpired's default otherwise). */
const PURGE_PAUSE = process.env.BENCH_PURGE_PAUSE ? Number(process.env.BENCH_PURGE_PAUSE) : undefined;
const ATTEMPTS_PER_MESSAGE = 5;
const DAY_MS = 86_400_000;

type Row = (name: string, value: string, target?: string) => void;
const load = () => os.loadavg()[0]!.toFixed(2);

/**
 * BENCH_PURGE_RETAINED_DAYS=0: only the expired days and those ahead have partitions. By default every
 * day of the retention has one too, as on a system running for 90 days: a statement that cannot
 * prune by day plans and reads every partition (until migration 0027, each deleted message's cascade
 * to its attempts did; design.md, Purge impact).
 */
const RETAINED_DAYS = Number(process.env.BENCH_PURGE_RETAINED_DAYS ?? 90);

/** Expired finished messages with their attempts, spread over the days 100..91 ago, each day in its partition. */
async function seedExpired(database: BenchDatabase, siteId: string, customerId: string) {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  await createAttemptPartitions(database.db, new Date(today - 100 * DAY_MS), new Date(today - 91 * DAY_MS));
  if (RETAINED_DAYS > 0) await createAttemptPartitions(database.db, new Date(today - RETAINED_DAYS * DAY_MS), new Date(today));
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
interface Delivered {
  /** When it was enqueued (ms since epoch). */
  sentAt: number;
  /** Enqueue → receiver. */
  ms: number;
  /** The enqueue() call alone. */
  enqueueMs: number;
}

/**
 * Streams STREAM_RATE messages a second through enqueue() for STREAM_SECONDS, and on while `more()`
 * says so; returns each one's enqueue → receiver ms, with the steps of the purge seen when sampling.
 */
async function streamRun(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, name: string, more = () => false) {
  const waits = SAMPLE_WAITS ? await sampleWaits(database.url, name) : undefined;
  try {
    return { delivered: await streamMessages(database, receiver, customerId, name, more), purgeSteps: waits?.purgeSteps };
  } finally {
    if (waits) console.error(await waits.stop());
  }
}

async function streamMessages(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, name: string, more: () => boolean): Promise<Delivered[]> {
  const pathName = `/purge-${name}`;
  const siteId = await insertBenchSite(database.db, `${receiver.url}${pathName}`, 100_000, 50);
  const sentAt = new Map<string, number>();
  const enqueued = new Map<string, number>();
  const started = Date.now();
  const enqueues: Promise<void>[] = [];
  for (let i = 0; i < STREAM_RATE * STREAM_SECONDS || more(); i++) {
    const due = started + (i * 1000) / STREAM_RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const before = preciseNow();
    enqueues.push(enqueue(database.db, { siteId, customerId, action: "bench.purge", payload: { i } }).then(({ id }) => {
      sentAt.set(id, before);
      enqueued.set(id, preciseNow() - before);
    }));
  }
  await Promise.all(enqueues);
  const count = enqueues.length;
  const deadline = Date.now() + 120_000;
  while (receiver.ids(pathName).length < count) {
    if (Date.now() > deadline) throw new Error(`purge impact: ${receiver.ids(pathName).length} of ${count} messages arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ids = receiver.ids(pathName);
  const times = receiver.arrivals(pathName);
  return ids.map((id, i) => ({ sentAt: sentAt.get(id)!, ms: times[i]! - sentAt.get(id)!, enqueueMs: enqueued.get(id)! }));
}

const p = (delivered: Delivered[], q: number) => tenth(percentile(delivered.map((d) => d.ms), q));
const pEnqueue = (delivered: Delivered[], q: number) => tenth(percentile(delivered.map((d) => d.enqueueMs), q));

interface Statement {
  start: number;
  end: number;
}

/**
 * The database as the purge gets it, recording when each of its statements and transactions ran
 * (ms since epoch), to tell the deliveries enqueued while one ran from those enqueued between them.
 */
function timedDatabase(db: BenchDatabase["db"], statements: Statement[]): BenchDatabase["db"] {
  const timed = <T>(run: () => Promise<T>) => {
    const start = preciseNow();
    return run().finally(() => statements.push({ start, end: preciseNow() }));
  };
  return new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === "execute") return (...args: unknown[]) => timed(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      if (key === "transaction") return (...args: unknown[]) => timed(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      return value;
    },
  });
}

/** p99 of the deliveries enqueued while a purge statement ran, and of those enqueued between them. */
function byStatement(during: Delivered[], statements: Statement[]) {
  const sorted = [...statements].sort((a, b) => a.start - b.start);
  const inside = during.filter((d) => sorted.some((s) => s.start <= d.sentAt && d.sentAt < s.end));
  const between = during.filter((d) => !inside.includes(d));
  const durations = sorted.map((s) => s.end - s.start);
  return `${p(inside, 99)} ms (${inside.length}) / ${p(between, 99)} ms (${between.length}); statements ${sorted.length}, each p50 ${tenth(percentile(durations, 50))} ms, p99 ${tenth(percentile(durations, 99))} ms`;
}

export async function measurePurgeImpact(database: BenchDatabase, receiver: LoopbackReceiver, customerId: string, row: Row) {
  const seedSite = await insertBenchSite(database.db, "http://127.0.0.1:9/expired", 1, 1);
  const seedStarted = Date.now();
  await seedExpired(database, seedSite, customerId);
  const days = await listAttemptPartitions(database.db);
  const expiredDays = days.filter((p) => p.to.getTime() <= Date.now() - 90 * DAY_MS).length;
  console.error(`  purge impact: seeded ${EXPIRED_ATTEMPTS} expired attempts in ${expiredDays} of ${days.length} day partitions in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s (load ${load()})`);

  // Not counted: the first run after seeding pays for the seed's writes still being flushed.
  await streamRun(database, receiver, customerId, "warm-up");
  const { delivered: before } = await streamRun(database, receiver, customerId, "before");
  console.error(`  purge impact: without purge p99 ${p(before, 99)} ms (load ${load()})`);
  const purgeStarted = Date.now();
  let purgeMs = NaN;
  let purged: Awaited<ReturnType<typeof purgeExpired>> | undefined;
  let purging = true;
  const statements: Statement[] = [];
  const purge = purgeExpired(timedDatabase(database.db, statements), { batchSize: PURGE_BATCH, pauseFactor: PURGE_PAUSE }).then((r) => {
    purgeMs = Date.now() - purgeStarted;
    purged = r;
  }).finally(() => (purging = false));
  // The run lasts as long as the purge (at least STREAM_SECONDS), so every step of it is measured.
  const { delivered: during, purgeSteps } = await streamRun(database, receiver, customerId, "during", () => purging);
  await purge;
  console.error(`  purge impact: with purge p99 ${p(during, 99)} ms over ${((Date.now() - purgeStarted) / 1000).toFixed(0)} s (load ${load()})`);
  const { delivered: after } = await streamRun(database, receiver, customerId, "after");
  console.error(`  purge impact: without purge again p99 ${p(after, 99)} ms (load ${load()})`);
  const [left] = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from webhook_attempts where site_id = ${seedSite}`);

  const without = [...before, ...after];
  const ratio = p(during, 99) / p(without, 99);
  const runDesc = `${STREAM_RATE}/s for ${STREAM_SECONDS} s`;
  row(
    `6. purge impact: purgeExpired() of ${EXPIRED_ATTEMPTS.toLocaleString("en")} expired attempts (batches of ${PURGE_BATCH ?? "default"}, pause ×${PURGE_PAUSE ?? "default"}, ${purged?.partitions} of ${days.length} day partitions dropped, ${purged?.messages} messages deleted)`,
    `${(purgeMs / 1000).toFixed(1)} s, ${left!.n} of the seeded attempts left`,
    "0 left",
  );
  row(`6. purge impact: delivery enqueue → receiver without purge (${runDesc}, runs before and after)`, `p50 ${p(without, 50)} ms, p99 ${p(without, 99)} ms (before ${p(before, 99)}, after ${p(after, 99)})`);
  row(`6. purge impact: delivery enqueue → receiver with the purge running (${runDesc}, on until it ends: ${during.length} messages)`, `p50 ${p(during, 50)} ms, p99 ${p(during, 99)} ms (load ${load()})`);
  const messagesFrom = purgeSteps?.get("messages");
  if (messagesFrom) {
    const days = during.filter((d) => d.sentAt < messagesFrom);
    const messages = during.filter((d) => d.sentAt >= messagesFrom);
    row("6. purge impact: p99 while dropping the days / while deleting the messages (BENCH_PURGE_WAITS=1)", `${p(days, 99)} ms (${days.length}) / ${p(messages, 99)} ms (${messages.length})`);
  }
  row("6. purge impact: enqueue() alone p99 without / with purge", `${pEnqueue(without, 99)} ms / ${pEnqueue(during, 99)} ms`);
  row("6. purge impact: p99 enqueued while a purge statement ran / between its statements", byStatement(during, statements));
  row("6. purge impact: p99 with / without purge", ratio.toFixed(2), "≤ 1.10");
}
