import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSiteAuditEvents } from "@/lib/audit/list-site-audit-events";
import { announceToLocalWorkers } from "@/lib/delivery/announce";
import { enqueue, queueMessages } from "@/lib/delivery/enqueue";
import { startLocalWorker, type LocalWorker } from "@/lib/delivery/local/local-worker";
import { resendMessage } from "@/lib/delivery/operator/resend-message";
import { ValidationError } from "@/lib/errors";
import { createSecretBox } from "@/lib/secrets";
import { createSite } from "@/lib/trusted-sites/create-site";
import { updateSite } from "@/lib/trusted-sites/update-site";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { insertCustomer, insertSite, messageRow, waitFor, waitUntilFinished } from "../../helpers/delivery-fixtures";
import { maxInWindow, startWebhookReceiver, type Arrival, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";
import { startWorkerProcess, TEST_ENCRYPTION_KEY, type WorkerProcess } from "../../helpers/worker-process";

// "Deliver in order per customer" (DESIGN §3): a customer's later message to an ordered site waits
// until the earlier one is done or failed; other customers, and unordered sites, are not held up.
const RETRY_MS = 60;
let database: TestDatabase;
let worker: LocalWorker;
const workerLog: string[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  worker = startLocalWorker({
    ...database,
    box: createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64")),
    allowPrivateTargets: "127.0.0.1",
    purgeEveryMs: 0,
    retryIntervalMs: RETRY_MS,
    log: (line) => workerLog.push(`${new Date().toISOString()} ${line}`),
  });
});
afterAll(async () => {
  await worker?.stop(5_000);
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

/** What a test enqueues: customer name and its message number, both in the payload. */
interface Tag {
  c: string;
  n: number;
}
const tagOf = (a: Arrival) => (JSON.parse(a.body) as { data: Tag }).data;
const label = (t: Tag) => `${t.c}${t.n}`;

/** A receiver answering per message (by its tag), recording when each answer was sent. */
async function receiver(reply: (tag: Tag, arrival: Arrival) => Reply) {
  const answeredAt = new Map<Arrival, number>();
  const r = await startWebhookReceiver((arrival) => {
    const answer = reply(tagOf(arrival), arrival);
    if (answer !== "hang") answeredAt.set(arrival, arrival.at + (answer.delayMs ?? 0));
    return answer;
  });
  receivers.push(r);
  return { ...r, answeredAt };
}

/**
 * Per customer: the arrivals in order, and whether any request arrived while the customer's previous
 * one was still unanswered (an answer is sent no earlier than `at + delayMs`).
 */
function lines(r: { arrivals: Arrival[]; answeredAt: Map<Arrival, number> }) {
  const byCustomer = new Map<string, Arrival[]>();
  for (const a of r.arrivals) byCustomer.set(tagOf(a).c, [...(byCustomer.get(tagOf(a).c) ?? []), a]);
  const overlaps: string[] = [];
  for (const arrivals of byCustomer.values()) {
    for (let i = 1; i < arrivals.length; i++) {
      if (arrivals[i]!.at < r.answeredAt.get(arrivals[i - 1]!)!) overlaps.push(`${label(tagOf(arrivals[i]!))} during ${label(tagOf(arrivals[i - 1]!))}`);
    }
  }
  const order = (c: string) => (byCustomer.get(c) ?? []).map((a) => tagOf(a).n);
  return { order, overlaps };
}

async function customers(names: string[]) {
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await insertCustomer(database.db)] as const)));
}

/** Enqueues one after the other (each is "earlier" than the next), as a workflow would over time. */
async function enqueueInOrder(siteId: string, ids: Record<string, string>, tags: Tag[]) {
  const messages: Record<string, string> = {};
  for (const tag of tags) {
    const { id } = await enqueue(database.db, { siteId, customerId: ids[tag.c]!, action: `point.${tag.n}`, payload: tag });
    messages[label(tag)] = id;
  }
  return messages;
}

/** waitUntilFinished that, on a timeout, prints where the site's messages, the sessions and the worker stood. */
async function finished(id: string, timeoutMs = 10_000) {
  try {
    return await waitUntilFinished(database.db, id, timeoutMs);
  } catch (error) {
    const rows = await database.sql`
      select m.id, m.customer_id, m.status, m.attempts, m.created_at, m.next_attempt_at, m.locked_until, clock_timestamp() as now
      from webhook_messages m where m.site_id = (select site_id from webhook_messages where id = ${id}) order by m.created_at, m.id`;
    const activity = await database.sql`select state, wait_event_type, wait_event, left(query, 120) as query, now() - query_start as running from pg_stat_activity where datname = current_database()`;
    console.log("STALL", id, JSON.stringify(rows, null, 1), JSON.stringify(activity, null, 1), workerLog.join("\n"));
    throw error;
  }
}

const interleaved: Tag[] = [
  { c: "A", n: 1 },
  { c: "B", n: 1 },
  { c: "A", n: 2 },
  { c: "B", n: 2 },
  { c: "A", n: 3 },
];

describe("the site option", () => {
  const actor = { kind: "user", userId: "u1", email: "ops@example.com" } as const;
  const box = createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64"));

  it("is off unless set, is saved and shown, is audited when changed, and refuses a non-boolean naming the field", async () => {
    const plain = await createSite(database.db, box, actor, { name: "Plain", url: "https://plain.example.com", authMethod: "none" });
    expect(plain.orderedPerCustomer).toBe(false);
    const site = await createSite(database.db, box, actor, { name: "Loyalty", url: "https://loyalty.example.com", authMethod: "none", orderedPerCustomer: true });
    expect(site.orderedPerCustomer).toBe(true);
    // A patch that leaves it out keeps it.
    expect((await updateSite(database.db, box, actor, site.id, { rps: 20 })).orderedPerCustomer).toBe(true);
    expect((await updateSite(database.db, box, actor, site.id, { orderedPerCustomer: false })).orderedPerCustomer).toBe(false);
    const changes = (await listSiteAuditEvents(database.db, site.id)).filter((e) => e.action === "site.updated").map((e) => (e.details as { changed: string[] }).changed);
    expect(changes).toContainEqual(["orderedPerCustomer"]);
    const refusal = await updateSite(database.db, box, actor, site.id, { orderedPerCustomer: "yes" }).then(() => null, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).issues!.map((i) => i.path.join("."))).toEqual(["orderedPerCustomer"]);
  });
});

describe("deliver in order per customer (one local worker)", () => {
  it("A1 B1 A2 B2 A3: A's arrive in order, one at a time; B is not held up by A's slow first message", async () => {
    const r = await receiver((tag) => ({ status: 200, delayMs: label(tag) === "A1" ? 800 : 20 }));
    const siteId = await insertSite(database.db, { url: r.url, threads: 10, orderedPerCustomer: true });
    const ids = await customers(["A", "B"]);
    const messages = await enqueueInOrder(siteId, ids, interleaved);
    await Promise.all(Object.values(messages).map((id) => finished(id, 10_000)));

    const { order, overlaps } = lines(r);
    expect(order("A")).toEqual([1, 2, 3]);
    expect(order("B")).toEqual([1, 2]);
    expect(overlaps).toEqual([]);
    // B's two were delivered while A1 was still being answered.
    const at = (l: string) => r.arrivals.find((a) => label(tagOf(a)) === l)!.at;
    expect(at("B2")).toBeLessThan(r.answeredAt.get(r.arrivals.find((a) => label(tagOf(a)) === "A1")!)!);
    // …and A2 went out promptly once A1 was answered (woken, not left for a timer).
    expect(at("A2") - r.answeredAt.get(r.arrivals.find((a) => label(tagOf(a)) === "A1")!)!).toBeLessThan(1_000);
  });

  it("an earlier message that fails every attempt releases the next only once it has failed; retries keep the line waiting", async () => {
    const r = await receiver((tag) => ({ status: label(tag) === "A1" ? 500 : 200 }));
    const siteId = await insertSite(database.db, { url: r.url, threads: 10, orderedPerCustomer: true });
    const ids = await customers(["A", "B"]);
    const messages = await enqueueInOrder(siteId, ids, interleaved);
    await Promise.all(Object.values(messages).map((id) => finished(id, 15_000)));

    expect((await messageRow(database.db, messages.A1!)).status).toBe("failed");
    for (const l of ["A2", "A3", "B1", "B2"]) expect((await messageRow(database.db, messages[l]!)).status).toBe("done");
    const labels = r.arrivals.map((a) => label(tagOf(a)));
    // All five attempts of A1 (60 ms apart) came before A2; B went through meanwhile.
    expect(labels.filter((l) => l === "A1")).toHaveLength(5);
    expect(labels.lastIndexOf("A1")).toBeLessThan(labels.indexOf("A2"));
    expect(labels.indexOf("B2")).toBeLessThan(labels.lastIndexOf("A1"));
    expect(lines(r).order("A")).toEqual([1, 1, 1, 1, 1, 2, 3]);
  });

  it("a resend goes to the back of the customer's line", async () => {
    let first = true;
    const r = await receiver((tag) => {
      // A1's first delivery fails all five attempts; its resend is answered.
      if (label(tag) === "A1" && first) return { status: 500 };
      return { status: 200, delayMs: label(tag) === "A2" ? 400 : 10 };
    });
    const siteId = await insertSite(database.db, { url: r.url, threads: 10, orderedPerCustomer: true });
    const ids = await customers(["A"]);
    const a1 = await enqueueInOrder(siteId, ids, [{ c: "A", n: 1 }]);
    await finished(a1.A1!, 10_000);
    first = false;
    const a2 = await enqueueInOrder(siteId, ids, [{ c: "A", n: 2 }]);
    const resent = await resendMessage(database.db, a1.A1!, { kind: "user", userId: "u1", email: "ops@example.com" });
    await Promise.all([finished(a2.A2!), finished(resent.id)]);
    // Resent while A2 was being answered, it waited for A2.
    expect(lines(r).order("A")).toEqual([1, 1, 1, 1, 1, 2, 1]);
    expect(lines(r).overlaps).toEqual([]);
  });

  it("pacing still applies: no second holds more starts than the site's rps", async () => {
    const r = await receiver(() => ({ status: 200 }));
    const siteId = await insertSite(database.db, { url: r.url, rps: 4, threads: 10, orderedPerCustomer: true });
    const ids = await customers(["A", "B", "C"]);
    const tags = [1, 2, 3].flatMap((n) => ["A", "B", "C"].map((c) => ({ c, n })));
    const messages = await enqueueInOrder(siteId, ids, tags);
    await Promise.all(Object.values(messages).map((id) => finished(id, 15_000)));
    const starts = await database.sql<{ ms: number }[]>`
      select extract(epoch from started_at)::float8 * 1000 as ms from webhook_attempts where site_id = ${siteId}`;
    expect(starts).toHaveLength(9);
    expect(maxInWindow(starts.map((s) => s.ms))).toBeLessThanOrEqual(4);
    for (const c of ["A", "B", "C"]) expect(lines(r).order(c)).toEqual([1, 2, 3]);
  });

  it("an unordered site is unchanged: a customer's next message does not wait for a slow earlier one", async () => {
    const r = await receiver((tag) => ({ status: 200, delayMs: label(tag) === "A1" ? 800 : 10 }));
    const siteId = await insertSite(database.db, { url: r.url, threads: 10 });
    const ids = await customers(["A"]);
    const messages = await enqueueInOrder(siteId, ids, [
      { c: "A", n: 1 },
      { c: "A", n: 2 },
    ]);
    await Promise.all(Object.values(messages).map((id) => finished(id)));
    const a1 = r.arrivals.find((a) => label(tagOf(a)) === "A1")!;
    const a2 = r.arrivals.find((a) => label(tagOf(a)) === "A2")!;
    expect(a2.at).toBeLessThan(r.answeredAt.get(a1)!);
  });

  it("a paused ordered site holds the whole line; activating it delivers in order", async () => {
    const r = await receiver(() => ({ status: 200 }));
    const siteId = await insertSite(database.db, { url: r.url, threads: 10, orderedPerCustomer: true, status: "inactive" });
    const ids = await customers(["A"]);
    const messages = await enqueueInOrder(siteId, ids, []);
    for (const n of [1, 2, 3]) {
      // enqueue refuses an inactive site: these were queued before it was paused.
      const [row] = await database.sql<{ id: string }[]>`
        insert into webhook_messages (site_id, customer_id, action, payload, content_hash, status, next_attempt_at, created_at)
        values (${siteId}, ${ids.A!}, ${`point.${n}`}, ${JSON.stringify({ c: "A", n })}::jsonb, 'x', 'queued', now(), clock_timestamp())
        returning id`;
      await database.sql`insert into webhook_attempts (message_id, site_id, customer_id, action, attempt_no, status, scheduled_at)
        values (${row!.id}, ${siteId}, ${ids.A!}, ${`point.${n}`}, 1, 'queued', now())`;
      messages[`A${n}`] = row!.id;
    }
    await new Promise((res) => setTimeout(res, 300));
    expect(r.arrivals).toHaveLength(0);
    await database.sql`update trusted_sites set status = 'active' where id = ${siteId}`;
    await database.sql`select pg_notify('webhook_messages_due', '')`;
    await Promise.all(Object.values(messages).map((id) => finished(id)));
    expect(lines(r).order("A")).toEqual([1, 2, 3]);
  });
});

describe("the next in line is woken at once", () => {
  let database3: TestDatabase;
  const started: LocalWorker[] = [];
  beforeAll(async () => {
    database3 = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(started.map((w) => w.stop(5_000)));
    await database3?.drop();
  });

  function startWorker(concurrency: number) {
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    started.push(
      startLocalWorker({
        ...database3,
        box: createSecretBox(Buffer.from(TEST_ENCRYPTION_KEY, "base64")),
        allowPrivateTargets: "127.0.0.1",
        purgeEveryMs: 0,
        concurrency,
        log: (line) => line.endsWith("ready") && ready(),
      }),
    );
    return isReady;
  }

  it("by another worker when the one that sent the earlier message has no room", async () => {
    const busy = await receiver(() => ({ status: 200, delayMs: 3_000 }));
    const r = await receiver((tag) => ({ status: 200, delayMs: label(tag) === "A1" ? 300 : 0 }));
    const busySite = await insertSite(database3.db, { url: busy.url, threads: 50 });
    const siteId = await insertSite(database3.db, { url: r.url, threads: 10, orderedPerCustomer: true });
    const customerId = await insertCustomer(database3.db);
    // The first worker (20 at once, claiming only when 2 are free) is kept busy with 19 slow messages
    // and A1: 18 first, then A1 with the 19th in one transaction, so one claim takes both.
    await startWorker(20);
    for (let n = 1; n <= 18; n++) await enqueue(database3.db, { siteId: busySite, customerId, action: "busy", payload: { c: "X", n } });
    await waitFor(() => busy.arrivals.length === 18, 5_000, "the first worker to be busy");
    await database3.db.transaction((tx) =>
      queueMessages(
        tx,
        [
          { siteId, customerId, action: "point.1", payload: { c: "A", n: 1 } },
          { siteId: busySite, customerId, action: "busy", payload: { c: "X", n: 19 } },
        ],
        announceToLocalWorkers,
      ),
    );
    await enqueue(database3.db, { siteId, customerId, action: "point.2", payload: { c: "A", n: 2 } });
    await waitFor(() => r.arrivals.length === 1 && busy.arrivals.length === 19, 5_000, "A1 and the 19th");
    // …so when A1 is answered it has one free slot, less than a batch: the idle second worker must hear of A2.
    await startWorker(20);
    await waitFor(() => r.arrivals.length === 2, 5_000, "A2");
    const [a1, a2] = r.arrivals;
    expect(lines(r).order("A")).toEqual([1, 2]);
    expect(a2!.at).toBeGreaterThanOrEqual(r.answeredAt.get(a1!)!);
    expect(a2!.at - r.answeredAt.get(a1!)!).toBeLessThan(1_000);
    // Long before the first worker had room again.
    expect(a2!.at).toBeLessThan(busy.answeredAt.get(busy.arrivals[0]!)!);
  });
});

describe("deliver in order per customer (two worker processes)", () => {
  let database2: TestDatabase;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    database2 = await createTestDatabase();
    const env = { WEBHOOK_RETRY_INTERVAL_MS: String(RETRY_MS) };
    workers.push(...(await Promise.all([startWorkerProcess(database2.url, env), startWorkerProcess(database2.url, env)])));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await database2?.drop();
  });

  it("never sends a customer's next message before the previous one finished, retries included", async () => {
    const seen = new Map<string, number>();
    const r = await receiver((tag) => {
      const l = label(tag);
      seen.set(l, (seen.get(l) ?? 0) + 1);
      // Every third message fails its first attempt: its retry keeps the customer's line waiting.
      if (tag.n % 3 === 0 && seen.get(l) === 1) return { status: 503 };
      return { status: 200, delayMs: (tag.n * 7 + tag.c.charCodeAt(0)) % 40 };
    });
    const siteId = await insertSite(database2.db, { url: r.url, threads: 20, orderedPerCustomer: true });
    const names = ["A", "B", "C", "D", "E", "F"];
    const ids = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await insertCustomer(database2.db)] as const)));
    const tags = Array.from({ length: 8 }, (_, i) => i + 1).flatMap((n) => names.map((c) => ({ c, n })));
    for (const tag of tags) {
      await enqueue(database2.db, { siteId, customerId: ids[tag.c]!, action: `point.${tag.n}`, payload: tag });
    }
    await waitFor(
      async () => (await database2.sql<{ n: number }[]>`select count(*)::int as n from webhook_messages where site_id = ${siteId} and status = 'done'`)[0]!.n === tags.length,
      30_000,
      "every message done",
    );
    const { order, overlaps } = lines(r);
    expect(overlaps).toEqual([]);
    const expected = [1, 2, 3, 3, 4, 5, 6, 6, 7, 8];
    for (const c of names) expect(order(c)).toEqual(expected);
  }, 60_000);
});
