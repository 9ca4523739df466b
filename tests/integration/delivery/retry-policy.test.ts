import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites } from "@/lib/db/schema";
import { enqueue } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { getMessage, listInFlight } from "@/lib/webhooks/read-messages";
import type { RetryPolicyInput } from "@/lib/delivery/policy/retry-policy";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, messageRow, waitFor, waitUntilFinished as untilFinished } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type Arrival, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

/**
 * Per-site retry policies (issue 15) through the local worker to a real receiver on 127.0.0.1. The
 * default policy's interval is shortened to DEFAULT_MS (as WEBHOOK_RETRY_INTERVAL_MS does); the
 * receiver answers each message as its payload's `replies` say (the n-th request of a message gets
 * the n-th reply, the last one repeating).
 */

const DEFAULT_MS = 100;
const box = createSecretBox(randomBytes(32));
const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };
let database: TestDatabase;
let receiver: WebhookReceiver;
let worker: LocalWorker;
let customerId: string;
/** The worker's jitter: exponential delays are this fraction of their cap. */
let jitter = 0.5;
/** Messages whose replies are overridden while the test runs (a receiver that recovers). */
const healthy = new Set<string>();

function replyFor(arrival: Arrival): Reply {
  const id = arrival.headers["webhook-id"]!;
  if (healthy.has(id)) return { status: 200 };
  const replies = (JSON.parse(arrival.body) as { data: { replies: Reply[] } }).data.replies;
  const n = receiver.arrivals.filter((a) => a.headers["webhook-id"] === id).length;
  return replies[Math.min(n, replies.length) - 1]!;
}

beforeAll(async () => {
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  database = await createTestDatabase();
  receiver = await startWebhookReceiver((arrival) => replyFor(arrival));
  worker = startLocalWorker({
    ...database,
    box,
    allowPrivateTargets: "127.0.0.1",
    retryIntervalMs: DEFAULT_MS,
    random: () => jitter,
    purgeEveryMs: 0,
    log: (line) => console.error(line),
  });
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await worker?.stop(5_000);
  await receiver?.close();
  await database?.drop();
});

/** An active site with this policy, made through the API's schema (createSite). */
async function siteWith(retryPolicy: RetryPolicyInput, threads = 4) {
  const site = await createSite(database.db, box, actor, {
    name: `Policy ${randomBytes(4).toString("hex")}`,
    url: `${receiver.url}/hooks`,
    authMethod: "none",
    threads,
    rps: 1_000,
    retryPolicy,
  });
  await setSiteStatus(database.db, actor, site.id, { status: "active" });
  return site.id;
}

const send = async (siteId: string, replies: Reply[]) => (await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { replies } })).id;
const arrivalsOf = (id: string) => receiver.arrivals.filter((a) => a.headers["webhook-id"] === id);
const statuses = async (id: string) => (await attemptRows(database.db, id)).map((a) => a.status);
const siteRow = async (id: string) => (await database.db.select().from(trustedSites).where(eq(trustedSites.id, id)))[0]!;
const waitUntilFinished = (db: typeof database.db, id: string, ms?: number) =>
  untilFinished(db, id, ms).catch(async (e: unknown) => {
    const attempts = await attemptRows(db, id);
    // What a timeout looks like (a stuck claim, a missed wake-up) is worth seeing.
    console.error("unfinished", JSON.stringify({ message: await messageRow(db, id), lastAttempts: attempts.slice(-2), now: new Date() }));
    throw e;
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long each next attempt was scheduled after the one before it finished, in ms. */
async function scheduledGaps(id: string) {
  const rows = await attemptRows(database.db, id);
  return rows.slice(1).map((next, i) => next.scheduledAt.getTime() - rows[i]!.finishedAt!.getTime());
}

/** Waits until the message's attempt `n` is scheduled (attempt n − 1 has failed). */
const attemptScheduled = (id: string, n: number) =>
  waitFor(async () => (await attemptRows(database.db, id)).length >= n, 10_000, `attempt ${n} of ${id} to be scheduled`);

/** Ends a message that would otherwise wait long for its next attempt. */
const stop = (id: string) => database.sql`update webhook_messages set status = 'failed', next_attempt_at = null where id = ${id} and status <> 'done'`;

describe("attempts", () => {
  it("a site allowing 3 attempts: three sends, then the message fails", async () => {
    const siteId = await siteWith({ attempts: 3 });
    const id = await send(siteId, [{ status: 500 }]);
    const finished = await waitUntilFinished(database.db, id);
    expect(finished.status).toBe("failed");
    expect(finished.attempts).toBe(3);
    expect(await statuses(id)).toEqual(["resent", "resent", "failed"]);
    expect(arrivalsOf(id)).toHaveLength(3);
    // Fixed schedule without an interval of its own: the default interval.
    // (The next attempt's time is taken a moment before the attempt's finish in the same statement.)
    for (const gap of await scheduledGaps(id)) expect(Math.abs(gap - DEFAULT_MS)).toBeLessThan(20);
  });

  it("20 attempts, the most a policy allows, fit the database's constraints; the 20th failure fails the message", async () => {
    const siteId = await siteWith({ attempts: 20 });
    const id = await send(siteId, [{ status: 502 }]);
    const finished = await waitUntilFinished(database.db, id, 20_000);
    expect(finished).toMatchObject({ status: "failed", attempts: 20 });
    const rows = await attemptRows(database.db, id);
    expect(rows.map((a) => a.attemptNo)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(arrivalsOf(id)).toHaveLength(20);
    // The message page reads all of them, and counts "of 20".
    const detail = await getMessage(database.db, id);
    expect(detail.attemptLog).toHaveLength(20);
    expect(detail.maxAttempts).toBe(20);
    await expect(database.sql`update webhook_messages set attempts = 21 where id = ${id}`).rejects.toThrow(/webhook_messages_attempts_range/);
  });

  it("a policy change applies to a message in flight: one past the new number fails at its next failure", async () => {
    const siteId = await siteWith({ attempts: 10, intervalSeconds: 1 });
    const id = await send(siteId, [{ status: 500 }]);
    await attemptScheduled(id, 3);
    await updateSite(database.db, box, actor, siteId, { retryPolicy: { attempts: 2 } });
    const finished = await waitUntilFinished(database.db, id, 5_000);
    expect(finished).toMatchObject({ status: "failed", attempts: 3 });
    expect(await statuses(id)).toEqual(["resent", "resent", "failed"]);
  });
});

describe("schedules", () => {
  it("exponential backoff with full jitter: each wait is the jitter's share of min(max, base · 2^(k−1))", async () => {
    jitter = 0.1;
    const siteId = await siteWith({ attempts: 5, schedule: "exponential", intervalSeconds: 1, maxDelaySeconds: 3 });
    const id = await send(siteId, [{ status: 500 }]);
    await waitUntilFinished(database.db, id);
    const gaps = await scheduledGaps(id);
    // Caps 1 s, 2 s, 4 s → 3 s (the maximum), 8 s → 3 s.
    [100, 200, 300, 300].forEach((expected, i) => expect(Math.abs(gaps[i]! - expected)).toBeLessThan(15));
    const times = arrivalsOf(id).map((a) => a.at);
    [100, 200, 300, 300].forEach((expected, i) => expect(times[i + 1]! - times[i]!).toBeGreaterThanOrEqual(expected - 5));
  });

  it("a Retry-After in seconds on 503 is honoured when longer than the interval, then the message is delivered", async () => {
    const siteId = await siteWith({});
    const id = await send(siteId, [{ status: 503, headers: { "retry-after": "1" } }, { status: 200 }]);
    const finished = await waitUntilFinished(database.db, id);
    expect(finished.status).toBe("done");
    const [gap] = await scheduledGaps(id);
    expect(gap).toBeGreaterThanOrEqual(995);
    expect(gap).toBeLessThan(1_020);
    const [first, second] = arrivalsOf(id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it("a Retry-After HTTP date on 429 is honoured", async () => {
    const siteId = await siteWith({});
    const at = new Date(Date.now() + 5_000);
    const id = await send(siteId, [{ status: 429, headers: { "retry-after": at.toUTCString() } }]);
    await attemptScheduled(id, 2);
    await stop(id);
    const [first, second] = await attemptRows(database.db, id);
    // The date has whole seconds: the next attempt is due then (read as the answer arrives, so a
    // moment before the attempt's recorded finish).
    const askedFor = Math.floor(at.getTime() / 1000) * 1000;
    expect(askedFor - first!.finishedAt!.getTime()).toBeGreaterThan(1_000);
    expect(Math.abs(second!.scheduledAt.getTime() - askedFor)).toBeLessThan(300);
  });

  it("a Retry-After longer than the policy's maximum waits the maximum; a shorter one than the interval waits the interval; on 500 it is ignored", async () => {
    const bounded = await siteWith({ intervalSeconds: 1, maxDelaySeconds: 1 });
    const longAsk = await send(bounded, [{ status: 503, headers: { "retry-after": "86400" } }]);
    const fixed = await siteWith({ intervalSeconds: 2 });
    const shortAsk = await send(fixed, [{ status: 429, headers: { "retry-after": "0" } }]);
    const onServerError = await send(bounded, [{ status: 500, headers: { "retry-after": "86400" } }]);
    for (const id of [longAsk, shortAsk, onServerError]) await attemptScheduled(id, 2);
    for (const id of [longAsk, shortAsk, onServerError]) await stop(id);
    const [longGap, shortGap, ignoredGap] = (await Promise.all([longAsk, shortAsk, onServerError].map(scheduledGaps))).map((gaps) => gaps[0]);
    expect(Math.abs(longGap! - 1_000)).toBeLessThan(15);
    expect(Math.abs(shortGap! - 2_000)).toBeLessThan(15);
    expect(Math.abs(ignoredGap! - 1_000)).toBeLessThan(15);
  });
});

describe("fail fast on 4xx", () => {
  it("fails at once on a 4xx other than 408, 409, 425 and 429; those are retried", async () => {
    const siteId = await siteWith({ failFastOn4xx: true });
    const refused = await send(siteId, [{ status: 422 }]);
    const retried = await send(siteId, [{ status: 408 }, { status: 409 }, { status: 425 }, { status: 429 }, { status: 200 }]);
    expect(await waitUntilFinished(database.db, refused)).toMatchObject({ status: "failed", attempts: 1 });
    expect(await waitUntilFinished(database.db, retried)).toMatchObject({ status: "done", attempts: 5 });
    expect(await statuses(refused)).toEqual(["failed"]);
    expect(await statuses(retried)).toEqual(["resent", "resent", "resent", "resent", "done"]);
    expect((await siteRow(siteId)).status).toBe("active");
  });

  it("without it, a 4xx is retried like any failure", async () => {
    const siteId = await siteWith({ attempts: 2 });
    const id = await send(siteId, [{ status: 422 }, { status: 200 }]);
    expect(await waitUntilFinished(database.db, id)).toMatchObject({ status: "done", attempts: 2 });
  });
});

describe("410 Gone", () => {
  it("fails the message, sets the site inactive as the system with the reason, pauses its other messages; activating resumes them", async () => {
    const siteId = await siteWith({ intervalSeconds: 1 });
    // A message waiting for its retry (1 s away) when the site answers 410 to another.
    const waiting = await send(siteId, [{ status: 500 }, { status: 200 }]);
    await attemptScheduled(waiting, 2);
    const gone = await send(siteId, [{ status: 410 }]);
    expect(await waitUntilFinished(database.db, gone)).toMatchObject({ status: "failed", attempts: 1 });
    const site = await waitFor(async () => {
      const row = await siteRow(siteId);
      return row.status === "inactive" ? row : null;
    });
    expect(site.statusReason).toMatch(/^Receiver answered 410 Gone at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(toSiteView(await getSiteOrThrow(database.db, siteId)).statusReason).toBe(site.statusReason);
    const [deactivation] = (await listSiteAuditEvents(database.db, siteId)).filter((e) => e.action === "site.deactivated");
    expect(deactivation).toMatchObject({ actor: "system", details: { from: "active", reason: site.statusReason } });

    // Its due time passes while paused: nothing is sent, no attempt used.
    await sleep(1_300);
    expect(arrivalsOf(waiting)).toHaveLength(1);
    expect(await messageRow(database.db, waiting)).toMatchObject({ status: "resent", attempts: 1 });
    expect((await getMessage(database.db, waiting)).paused).toBe(true);

    await setSiteStatus(database.db, actor, siteId, { status: "active" });
    expect((await siteRow(siteId)).statusReason).toBeNull();
    expect(await waitUntilFinished(database.db, waiting)).toMatchObject({ status: "done", attempts: 2 });
    expect(arrivalsOf(gone)).toHaveLength(1);
  });
});

describe("automatic deactivation", () => {
  it("a site whose every attempt failed for the chosen period is set inactive by the system; its messages pause, none lost, and activation delivers each once", async () => {
    const siteId = await siteWith({ attempts: 20, deactivateAfterSeconds: 60 });
    const ids = [await send(siteId, [{ status: 500 }]), await send(siteId, [{ status: 503 }])];
    for (const id of ids) await attemptScheduled(id, 3);
    const failing = await siteRow(siteId);
    expect(failing.status).toBe("active");
    expect(failing.failingSince).not.toBeNull();

    // The period is a minute at least: let a minute pass for the site's failing_since.
    await database.sql`update trusted_sites set failing_since = failing_since - interval '61 seconds' where id = ${siteId}`;
    const site = await waitFor(async () => {
      const row = await siteRow(siteId);
      return row.status === "inactive" ? row : null;
    }, 5_000);
    expect(site.statusReason).toMatch(/^Every attempt failed since .* UTC \(automatic deactivation after 1 min of failures\)$/);
    const deactivations = (await listSiteAuditEvents(database.db, siteId)).filter((e) => e.action === "site.deactivated");
    expect(deactivations).toHaveLength(1);
    expect(deactivations[0]!.actor).toBe("system");

    // Paused, not failed: still in the Queue with their attempts left.
    await sleep(300);
    const sentThen = ids.map((id) => arrivalsOf(id).length);
    await sleep(500);
    expect(ids.map((id) => arrivalsOf(id).length)).toEqual(sentThen);
    const queue = await listInFlight(database.db, {});
    for (const id of ids) {
      expect((await messageRow(database.db, id)).status).toBe("resent");
      expect(queue.items.find((m) => m.id === id)).toMatchObject({ paused: true, maxAttempts: 20 });
    }

    for (const id of ids) healthy.add(id);
    await setSiteStatus(database.db, actor, siteId, { status: "active" });
    expect((await siteRow(siteId)).failingSince).toBeNull();
    for (const id of ids) {
      expect((await waitUntilFinished(database.db, id)).status).toBe("done");
      expect(arrivalsOf(id).filter((a) => healthy.has(a.headers["webhook-id"]!)).length).toBeGreaterThan(0);
      expect((await statuses(id)).filter((s) => s === "done")).toHaveLength(1);
    }
    expect((await siteRow(siteId)).status).toBe("active");
  });

  it("failures for less than the period, or a success in between, leave the site active", async () => {
    const siteId = await siteWith({ attempts: 3, deactivateAfterSeconds: 60 });
    const failed = await send(siteId, [{ status: 500 }]);
    await waitUntilFinished(database.db, failed);
    const row = await siteRow(siteId);
    expect(row).toMatchObject({ status: "active" });
    expect(row.failingSince).not.toBeNull();

    const delivered = await send(siteId, [{ status: 200 }]);
    await waitUntilFinished(database.db, delivered);
    expect((await siteRow(siteId)).failingSince).toBeNull();
    // A success cleared it: a failure now starts the period afresh, however long ago the last ones were.
    const again = await send(siteId, [{ status: 500 }]);
    await waitUntilFinished(database.db, again);
    expect((await siteRow(siteId)).status).toBe("active");
  });

  it("off by default: a site failing for days stays active", async () => {
    const siteId = await siteWith({ attempts: 2 });
    await database.db.update(trustedSites).set({ failingSince: sql`now() - interval '30 days'` }).where(eq(trustedSites.id, siteId));
    const id = await send(siteId, [{ status: 500 }]);
    await waitUntilFinished(database.db, id);
    expect((await siteRow(siteId)).status).toBe("active");
  });
});

describe("the policy through the API's functions", () => {
  it("is stored with the site, shown in its view, and a partial change keeps the rest", async () => {
    const siteId = await siteWith({ attempts: 8, schedule: "exponential", intervalSeconds: 30, maxDelaySeconds: 3_600, failFastOn4xx: true });
    const updated = await updateSite(database.db, box, actor, siteId, { retryPolicy: { attempts: 12 } });
    expect(updated.retryPolicy).toEqual({
      attempts: 12,
      schedule: "exponential",
      intervalSeconds: 30,
      maxDelaySeconds: 3_600,
      failFastOn4xx: true,
      deactivateAfterSeconds: null,
    });
    const trail = await listSiteAuditEvents(database.db, siteId);
    expect(trail.find((e) => e.action === "site.updated")?.details).toEqual({ changed: ["retryPolicy"] });
  });

  it("refuses a bad policy with the field at fault, changing nothing", async () => {
    const siteId = await siteWith({});
    const refusal = await updateSite(database.db, box, actor, siteId, { retryPolicy: { attempts: 50, deactivateAfterSeconds: 1 } }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).issues?.map((i) => i.path.join("."))).toEqual(["retryPolicy.attempts", "retryPolicy.deactivateAfterSeconds"]);
    expect((await siteRow(siteId)).retryPolicy).toMatchObject({ attempts: 5 });
  });
});
