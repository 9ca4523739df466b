import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "@/lib/db/migrate";
import { attemptsPerMinute } from "@/lib/webhooks/attempts-per-minute";
import { cancelMessage } from "@/lib/delivery/operator/cancel-message";
import { claimMessage } from "@/lib/delivery/claim-messages";
import { DURATION_BOUNDS, DURATION_BUCKETS, bucketRange, durationBucket } from "@/lib/delivery/duration-histogram";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { purgeExpired } from "@/lib/delivery/purge-expired";
import { recordOutcomes, type OutcomeToRecord } from "@/lib/delivery/record-outcome";
import { RETENTION_MS } from "@/lib/delivery/policy/delivery-rules";
import { createSecretBox } from "@/lib/secrets";
import { readSiteHealth, readSiteSparklines } from "@/lib/trusted-sites/site-health";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { migrateBefore } from "../../helpers/migrate-before";
import { insertCustomer, insertSite, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver";

const MINUTE = 60_000;
const box = createSecretBox(randomBytes(32));
let database: TestDatabase;
let customerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await database?.drop();
});

interface AttemptRow {
  site_id: string;
  created_ms: number;
  status: string;
  duration_ms: number | null;
}

/** The rollup as it should be: the finished attempts grouped by site, minute of creation and status. */
function expectedRollup(attempts: AttemptRow[]) {
  const rows = new Map<string, { attempts: number; durationMsSum: number; durations: number[] }>();
  for (const a of attempts) {
    if (a.status === "queued") continue;
    const key = `${a.site_id} ${new Date(Math.floor(a.created_ms / MINUTE) * MINUTE).toISOString()} ${a.status}`;
    const row = rows.get(key) ?? { attempts: 0, durationMsSum: 0, durations: new Array<number>(DURATION_BUCKETS).fill(0) };
    row.attempts++;
    if (a.duration_ms !== null) {
      row.durationMsSum += a.duration_ms;
      row.durations[durationBucket(a.duration_ms)]!++;
    }
    rows.set(key, row);
  }
  return Object.fromEntries([...rows].sort(([a], [b]) => a.localeCompare(b)));
}

async function attemptsOf(siteIds: string[]) {
  return database.sql<AttemptRow[]>`
    select site_id, extract(epoch from created_at)::float8 * 1000 as created_ms, status::text, duration_ms
    from webhook_attempts where site_id in ${database.sql(siteIds)}`;
}

async function rollupOf(siteIds: string[]) {
  const rows = await database.sql<{ site_id: string; minute: Date | string; status: string; attempts: number; duration_ms_sum: string; durations: number[] }[]>`
    select site_id, minute, status::text, attempts, duration_ms_sum::text, durations
    from attempt_minutes where site_id in ${database.sql(siteIds)}`;
  return Object.fromEntries(
    rows
      .map((r) => [`${r.site_id} ${new Date(r.minute).toISOString()} ${r.status}`, { attempts: r.attempts, durationMsSum: Number(r.duration_ms_sum), durations: r.durations }] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

describe("duration buckets", () => {
  it("are the same in the database as in the code that reads them", async () => {
    const samples = [-5, 0, 1, 2, 7, 8, 9, 1000, 60_000, 200_000, ...DURATION_BOUNDS.flatMap((b) => [b - 1, b, b + 1])];
    const rows = await database.sql<{ d: number; bucket: number }[]>`
      select d, attempt_duration_bucket(d) as bucket from unnest(${samples}::int[]) d`;
    for (const { d, bucket } of rows) expect([d, bucket]).toEqual([d, durationBucket(d)]);
    const [none] = await database.sql<{ bucket: number | null }[]>`select attempt_duration_bucket(null) as bucket`;
    expect(none!.bucket).toBeNull();
    expect(durationBucket(110_218)).toBe(DURATION_BUCKETS - 1);
  });
});

describe("the rollup after deliveries to a real receiver", () => {
  let worker: LocalWorker;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    // Payload "fate": ok → 200; flaky → 500 twice, then 200; down → 500 every time (5 attempts).
    receiver = await startWebhookReceiver((arrival) => {
      const { fate, delayMs } = JSON.parse(arrival.body).data as { fate: string; delayMs: number };
      const tries = receiver.arrivals.filter((a) => a.headers["webhook-id"] === arrival.headers["webhook-id"]).length;
      const ok = fate === "ok" || (fate === "flaky" && tries > 2);
      return { status: ok ? 200 : 500, body: ok ? "ok" : "nope", delayMs };
    });
    worker = startLocalWorker({ ...database, box, allowPrivateTargets: "127.0.0.1", retryIntervalMs: 200, claimTtlMs: 5_000, purgeEveryMs: 0 });
  });
  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
  });

  it("holds exactly the attempts' counts and durations by site, minute and status, and the chart counts the same from either", async () => {
    const sites = [await insertSite(database.db, { url: `${receiver.url}/a`, box }), await insertSite(database.db, { url: `${receiver.url}/b`, box })];
    const fates = ["ok", "ok", "ok", "flaky", "down", "ok", "flaky", "ok"];
    const ids: string[] = [];
    for (const [i, siteId] of sites.entries()) {
      for (const [j, fate] of fates.entries()) {
        const { id } = await enqueue(database.db, { siteId, customerId, action: "points.earned", payload: { fate, delayMs: (i * 8 + j) * 7 } });
        ids.push(id);
      }
    }
    for (const id of ids) await waitUntilFinished(database.db, id, 20_000);

    const attempts = await attemptsOf(sites);
    expect(attempts.filter((a) => a.status === "resent")).toHaveLength(2 * (2 + 2 + 4));
    expect(attempts.filter((a) => a.status === "failed")).toHaveLength(2);
    expect(await rollupOf(sites)).toEqual(expectedRollup(attempts));

    // The chart reads the rollup for a site, the attempts for a site and customer: the same bars.
    const first = Math.min(...attempts.map((a) => a.created_ms));
    const range = { from: new Date(Math.floor(first / MINUTE) * MINUTE).toISOString(), to: new Date(Math.ceil(Date.now() / MINUTE) * MINUTE + MINUTE).toISOString() };
    for (const siteId of sites) {
      const fromRollup = await attemptsPerMinute(database.db, { ...range, siteId });
      const fromAttempts = await attemptsPerMinute(database.db, { ...range, siteId, customerId });
      expect(fromRollup.buckets).toEqual(fromAttempts.buckets);
      expect(fromRollup.buckets.reduce((n, b) => n + b.done + b.resent + b.failed, 0)).toBe(attempts.filter((a) => a.site_id === siteId).length);
    }
  }, 40_000);
});

/** `n` claimed messages of a new site, ready for their outcomes. */
async function claimedMessages(n: number, site?: string) {
  const siteId = site ?? (await insertSite(database.db, { url: "http://127.0.0.1:9/" }));
  const claimed = [];
  for (let i = 0; i < n; i++) {
    const { id } = await enqueue(database.db, { siteId, customerId, action: "tick", payload: { i } });
    claimed.push((await claimMessage(database.db, id, randomUUID(), 10_000))!);
  }
  return { siteId, claimed };
}

describe("a batch of outcomes", () => {
  it("adds to one rollup row per site, minute and status in the same statement, and site health reads p50/p95 within a bucket", async () => {
    const { siteId, claimed } = await claimedMessages(120);
    // Durations spread over 3 ms – 2.4 s; every 10th attempt fails.
    const durations = claimed.map((_, i) => Math.round(3 * 1.06 ** i));
    const outcomes: OutcomeToRecord[] = claimed.map((message, i) => ({
      message,
      result: i % 10 === 9
        ? { succeeded: false, responseCode: 503, error: "the receiver answered 503", durationMs: durations[i], startedAt: new Date() }
        : { succeeded: true, responseCode: 200, durationMs: durations[i], startedAt: new Date() },
      options: { retryInMs: 60_000 },
    }));
    const recorded = await recordOutcomes(database.db, outcomes);
    expect(recorded.filter((o) => o.kind === "retry")).toHaveLength(12);
    expect(await rollupOf([siteId])).toEqual(expectedRollup(await attemptsOf([siteId])));

    const health = await readSiteHealth(database.db, siteId);
    expect(health.lastHour).toMatchObject({ attempts: 120, succeeded: 108, successRate: 0.9 });
    expect(health.lastDay).toEqual(health.lastHour);
    expect(health.hours).toHaveLength(24);
    expect(health.hours.slice(0, 23).every((h) => h.attempts === 0)).toBe(true);
    const sorted = [...durations].sort((a, b) => a - b);
    for (const [q, estimate] of [[0.5, health.lastDay.p50Ms], [0.95, health.lastDay.p95Ms]] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const [lower, upper] = bucketRange(durationBucket(exact));
      expect(estimate).toBeGreaterThanOrEqual(lower);
      expect(estimate).toBeLessThanOrEqual(upper);
    }
    expect(health.lastFailure).toMatchObject({ messageId: claimed[119]!.id, attemptNo: 1, responseCode: 503, error: "the receiver answered 503" });

    // A second batch of the same site adds to the rows the first one made.
    const more = await claimedMessages(30, siteId);
    await recordOutcomes(database.db, more.claimed.map((message) => ({ message, result: { succeeded: true, responseCode: 200, durationMs: 50 }, options: { retryInMs: 60_000 } })));
    expect(await rollupOf([siteId])).toEqual(expectedRollup(await attemptsOf([siteId])));
    expect((await readSiteHealth(database.db, siteId)).lastDay).toMatchObject({ attempts: 150, succeeded: 138 });
  });

  it("site health without attempts: empty figures, no failure; sparklines for many sites in one query", async () => {
    const quiet = await insertSite(database.db, { url: "http://127.0.0.1:9/" });
    const health = await readSiteHealth(database.db, quiet);
    expect(health.lastDay).toEqual({ attempts: 0, succeeded: 0, successRate: null, p50Ms: null, p95Ms: null });
    expect(health.lastFailure).toBeNull();

    const { siteId, claimed } = await claimedMessages(4);
    await recordOutcomes(
      database.db,
      claimed.map((message, i) => ({ message, result: { succeeded: i > 0, responseCode: i > 0 ? 200 : 500, durationMs: 10 }, options: { retryInMs: 60_000 } })),
    );
    const lines = await readSiteSparklines(database.db, [quiet, siteId]);
    expect(lines.get(quiet)).toHaveLength(24);
    expect(lines.get(quiet)!.every((h) => h.succeeded === 0 && h.failed === 0)).toBe(true);
    expect(lines.get(siteId)!.at(-1)).toEqual({ succeeded: 3, failed: 1 });
    expect(lines.get(siteId)!.slice(0, 23).every((h) => h.succeeded === 0 && h.failed === 0)).toBe(true);
  });
});

describe("other writers and the purge", () => {
  it("a cancelled paused message counts as a failed attempt", async () => {
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/" });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "tick", payload: {} });
    await database.sql`update trusted_sites set status = 'inactive' where id = ${siteId}`;
    await cancelMessage(database.db, id, { kind: "api-token", tokenId: randomUUID(), name: "test" });
    expect(Object.values(await rollupOf([siteId]))).toEqual([{ attempts: 1, durationMsSum: 0, durations: new Array(DURATION_BUCKETS).fill(0) }]);
    expect(await rollupOf([siteId])).toEqual(expectedRollup(await attemptsOf([siteId])));
  });

  it("rollup minutes that ended before the retention cutoff are purged; the minute the cutoff falls in is kept", async () => {
    const siteId = await insertSite(database.db, { url: "http://127.0.0.1:9/" });
    const now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE + 30_000);
    const cutoff = now.getTime() - RETENTION_MS; // 30 s into a minute
    const minutes = [cutoff - 30_000 - 2 * MINUTE, cutoff - 30_000 - MINUTE, cutoff - 30_000, cutoff + 30_000].map((ms) => new Date(ms).toISOString());
    await database.sql`
      insert into attempt_minutes (site_id, minute, status, attempts, durations)
      select ${siteId}, m::timestamptz, 'done', 1, array_fill(0, array[${DURATION_BUCKETS}::int]) from unnest(${minutes}::text[]) m`;
    expect(await purgeExpired(database.db, { now, batchSize: 1 })).toEqual({ attempts: 0, partitions: 0, messages: 0, minutes: 2 });
    const left = await database.sql<{ minute: Date | string }[]>`select minute from attempt_minutes where site_id = ${siteId} order by minute`;
    expect(left.map((r) => new Date(r.minute).toISOString())).toEqual(minutes.slice(2));
  });
});

describe("migration 0017 (attempt_minutes)", () => {
  let fresh: TestDatabase | undefined;
  afterAll(async () => {
    await fresh?.drop();
  });

  it("backfills the rollup from the finished attempts already recorded", async () => {
    fresh = await createTestDatabase({ migrated: false });
    // The migrations before this one, applied first, as an existing database has them.
    await migrateBefore(fresh.sql, "0017_attempt-minutes");
    expect((await fresh.sql`select to_regclass('attempt_minutes') as t`)[0]!.t).toBeNull();

    const [site] = await fresh.sql<{ id: string }[]>`insert into trusted_sites (name, url, auth_method) values ('old', 'https://old.example/', 'none') returning id`;
    const [customer] = await fresh.sql<{ id: string }[]>`insert into customers (external_id, name) values ('c1', 'C') returning id`;
    const [message] = await fresh.sql<{ id: string }[]>`
      insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, attempts)
      values (${site!.id}, ${customer!.id}, 'a', '{}', 'h', 'resent', 4) returning id`;
    const rows: [string, string, number | null][] = [
      ["2026-11-10T14:00:05Z", "resent", 12],
      ["2026-11-10T14:00:59Z", "resent", null],
      ["2026-11-10T14:01:00Z", "failed", 5000],
      ["2026-11-10T14:01:30Z", "done", 40],
      ["2026-11-10T14:02:00Z", "queued", null],
    ];
    for (const [i, [createdAt, status, durationMs]] of rows.entries()) {
      await fresh.sql`insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at, duration_ms)
        values (${message!.id}, ${site!.id}, ${customer!.id}, 'a', ${i + 1}, ${status}, ${createdAt}, ${createdAt}, ${durationMs})`;
    }
    await migrateDatabase(fresh.url);

    const sitesOf = [site!.id];
    const expected = expectedRollup(rows.map(([c, status, d]) => ({ site_id: site!.id, created_ms: Date.parse(c), status, duration_ms: d })));
    const actual = Object.fromEntries(
      (
        await fresh.sql<{ site_id: string; minute: Date | string; status: string; attempts: number; duration_ms_sum: string; durations: number[] }[]>`
          select site_id, minute, status::text, attempts, duration_ms_sum::text, durations from attempt_minutes where site_id in ${fresh.sql(sitesOf)}`
      ).map((r) => [`${r.site_id} ${new Date(r.minute).toISOString()} ${r.status}`, { attempts: r.attempts, durationMsSum: Number(r.duration_ms_sum), durations: r.durations }]),
    );
    expect(actual).toEqual(expected);
    expect(Object.keys(actual)).toHaveLength(3);
  });
});
