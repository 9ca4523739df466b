import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { InngestTestEngine } from "@inngest/test";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "@/lib/backoffice-auth/actor";
import { trustedSites, webhookMessages } from "@/lib/db/schema";
import { engineAnnouncer } from "@/lib/delivery/engine";
import { enqueue } from "@/lib/delivery/enqueue";
import type { RetryPolicyInput } from "@/lib/delivery/policy/retry-policy";
import { MAX_HELD_LATENESS_MS } from "@/lib/delivery/policy/delivery-rules";
import { secrets } from "@/lib/secrets";
import { setSiteStatus } from "@/lib/trusted-sites/set-site-status";
import { inngest } from "@/inngest/client";
import { deliverWebhook } from "@/inngest/deliver-webhook";
import { PACING_WAIT_MS } from "@/lib/inngest/step-budget";
import { makeAppDatabase } from "../../helpers/app-database";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import { attemptRows, insertCustomer, insertSite, messageRow } from "../../helpers/delivery-fixtures";
import { startWebhookReceiver, type Reply, type WebhookReceiver } from "../../helpers/webhook-receiver";

const RETRY_MS = 200;
let database: TestDatabase;
let customerId: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  // Read once, when the function's first step builds its dependencies.
  vi.stubEnv("ALLOW_PRIVATE_TARGETS", "127.0.0.1");
  vi.stubEnv("WEBHOOK_RETRY_INTERVAL_MS", String(RETRY_MS));
  vi.stubEnv("APP_ENCRYPTION_KEY", randomBytes(32).toString("base64"));
  database = await createTestDatabase();
  makeAppDatabase(database);
  customerId = await insertCustomer(database.db);
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

async function messageTo(reply: (n: number) => Reply, site: { rps?: number; threads?: number; retryPolicy?: RetryPolicyInput } = {}) {
  const receiver = await startWebhookReceiver((_, n) => reply(n));
  receivers.push(receiver);
  const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, ...site });
  const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { total: 7 } });
  return { id, siteId, receiver };
}

/**
 * A mocked sleep (sleeps hang in @inngest/test unless mocked by id) that lasts until the message is
 * due, as Inngest's would: the next step then finds the attempt due.
 */
function sleepUntilDue(messageId: string) {
  return async () => {
    const { nextAttemptAt } = await messageRow(database.db, messageId);
    const ms = (nextAttemptAt?.getTime() ?? 0) - Date.now();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms + 5));
    return null;
  };
}

/** A fresh engine and step list per run: execute() appends to the steps it is given, and caches mocks per engine. */
function run(messageId: string, sleeps: string[], extra: { id: string; handler: () => unknown }[] = []) {
  const engine = new InngestTestEngine({ function: deliverWebhook });
  return engine.execute({
    events: [{ name: "webhook/message.requested", data: { messageId } }],
    // step.sendEvent is not mocked by @inngest/test: the outcome's announcement is.
    steps: [...sleeps.map((id) => ({ id, handler: sleepUntilDue(messageId) })), { id: "announce-finished", handler: () => ({ ids: [] }) }, ...extra],
  });
}

const sleepCalls = (ctx: { step: { sleepUntil: { mock: { calls: unknown[][] } } } }) =>
  ctx.step.sleepUntil.mock.calls.map(([id, until]) => [id, new Date(until as string).getTime()]);

const near = (a: number, b: number) => Math.abs(a - b) <= 1;

describe("deliver-webhook", () => {
  it("500, 500, 200: attempts resent, resent, done, sleeping until each recorded next attempt", async () => {
    const { id, receiver } = await messageTo((n) => ({ status: n < 3 ? 500 : 200 }));
    const { result, ctx, error } = await run(id, ["wait-1", "wait-2"]);

    expect(error).toBeUndefined();
    expect(result).toEqual({ messageId: id, outcome: "done", tries: 3 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => [a.attemptNo, a.status, a.responseCode])).toEqual([
      [1, "resent", 500],
      [2, "resent", 500],
      [3, "done", 200],
    ]);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "done", attempts: 3, lockedBy: null });
    // Each sleep ends at the time the attempt step recorded for the next attempt.
    const sleeps = sleepCalls(ctx as never);
    expect(sleeps.map(([stepId]) => stepId)).toEqual(["wait-1", "wait-2"]);
    expect(near(sleeps[0]![1] as number, attempts[1]!.scheduledAt.getTime())).toBe(true);
    expect(near(sleeps[1]![1] as number, attempts[2]!.scheduledAt.getTime())).toBe(true);
    expect(attempts[1]!.scheduledAt.getTime() - attempts[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(RETRY_MS - 5);
    expect(ctx.step.run).toHaveBeenCalledWith("attempt-1", expect.any(Function));
    expect(ctx.step.run).toHaveBeenCalledWith("attempt-3", expect.any(Function));
    expect(receiver.arrivals).toHaveLength(3);
    expect(new Set(receiver.arrivals.map((a) => a.headers["webhook-id"]))).toEqual(new Set([id]));
    expect(ctx.step.sendEvent).toHaveBeenCalledWith("announce-finished", expect.objectContaining({ name: "webhook/message.finished", data: { messageId: id }, id: `message-finished-${id}` }));
  });

  it("always 500: five attempts, the last and the message failed", async () => {
    const { id, receiver } = await messageTo(() => ({ status: 500 }));
    const { result, ctx } = await run(id, ["wait-1", "wait-2", "wait-3", "wait-4"]);

    expect(result).toEqual({ messageId: id, outcome: "failed", tries: 5 });
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => a.status)).toEqual(["resent", "resent", "resent", "resent", "failed"]);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "failed", attempts: 5 });
    expect(sleepCalls(ctx as never).map(([stepId]) => stepId)).toEqual(["wait-1", "wait-2", "wait-3", "wait-4"]);
    expect(receiver.arrivals).toHaveLength(5);
  });

  it("a site's retry policy: 2 attempts, the second failure fails the message", async () => {
    const { id, receiver } = await messageTo(() => ({ status: 500 }), { retryPolicy: { attempts: 2 } });
    const { result } = await run(id, ["wait-1"]);
    expect(result).toEqual({ messageId: id, outcome: "failed", tries: 2 });
    expect((await attemptRows(database.db, id)).map((a) => a.status)).toEqual(["resent", "failed"]);
    expect(receiver.arrivals).toHaveLength(2);
  });

  it("410 Gone: the message fails at once and the system sets the site inactive with the reason, as with the local engine", async () => {
    const { id, siteId, receiver } = await messageTo(() => ({ status: 410 }));
    const { result } = await run(id, []);
    expect(result).toEqual({ messageId: id, outcome: "failed", tries: 1 });
    expect(receiver.arrivals).toHaveLength(1);
    const [site] = await database.db.select().from(trustedSites).where(eq(trustedSites.id, siteId));
    expect(site).toMatchObject({ status: "inactive", statusReason: expect.stringMatching(/^Receiver answered 410 Gone at /) });
  });

  it("a site booked beyond the pacing horizon: the attempt is postponed, sleeps until told, and is tried again", async () => {
    const { id, siteId, receiver } = await messageTo(() => ({ status: 200 }), { rps: 1 });
    await database.db.execute(sql`
      insert into site_pacing (site_id, theoretical_arrival_at) values (${siteId}, clock_timestamp() + interval '1.5 seconds')`);
    const freeSite = async () => {
      await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() where site_id = ${siteId}`);
      return sleepUntilDue(id)();
    };
    const { result, ctx } = await run(id, [], [{ id: "wait-1-again-1", handler: freeSite }]);

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    const [postponedUntil] = sleepCalls(ctx as never);
    expect(postponedUntil![0]).toBe("wait-1-again-1");
    expect(postponedUntil![1] as number).toBeGreaterThan(Date.now() - 60_000);
    expect(ctx.step.run).toHaveBeenCalledWith("attempt-1-again-1", expect.any(Function));
    const attempts = await attemptRows(database.db, id);
    expect(attempts.map((a) => [a.attemptNo, a.status])).toEqual([[1, "done"]]);
    expect(receiver.arrivals).toHaveLength(1);
  });

  it("woken before the attempt is due (or asked twice), it sends nothing early and sleeps until it is due", async () => {
    const { id, receiver } = await messageTo(() => ({ status: 200 }));
    await database.db
      .update(webhookMessages)
      .set({ nextAttemptAt: sql`clock_timestamp() + interval '300 milliseconds'` })
      .where(eq(webhookMessages.id, id));
    const { nextAttemptAt } = await messageRow(database.db, id);
    const { result, ctx } = await run(id, ["wait-1-again-1"]);

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    const [[stepId, until]] = sleepCalls(ctx as never) as [[string, number]];
    expect(stepId).toBe("wait-1-again-1");
    expect(near(until, nextAttemptAt!.getTime())).toBe(true);
    expect(receiver.arrivals).toHaveLength(1);
    expect(receiver.arrivals[0]!.at).toBeGreaterThanOrEqual(nextAttemptAt!.getTime() - 5);
  });

  it("while another holder has the message it waits for that claim to lapse, then delivers", async () => {
    const { id, receiver } = await messageTo(() => ({ status: 200 }));
    await database.db
      .update(webhookMessages)
      .set({ lockedBy: randomUUID(), lockedUntil: sql`clock_timestamp() + interval '300 milliseconds'` })
      .where(eq(webhookMessages.id, id));
    const { lockedUntil } = await messageRow(database.db, id);
    const waitForClaim = async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, lockedUntil!.getTime() - Date.now()) + 5));
      return null;
    };
    const { result, ctx } = await run(id, [], [{ id: "wait-1-again-1", handler: waitForClaim }]);

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    const [[, until]] = sleepCalls(ctx as never) as [[string, number]];
    expect(near(until, lockedUntil!.getTime())).toBe(true);
    expect(receiver.arrivals).toHaveLength(1);
  });

  it("ends at once for a message that is already finished, and refuses an event without a message id", async () => {
    const { id, receiver } = await messageTo(() => ({ status: 200 }));
    await database.db.update(webhookMessages).set({ status: "done", finishedAt: new Date() }).where(eq(webhookMessages.id, id));
    const { result } = await run(id, []);
    expect(result).toEqual({ messageId: id, outcome: "finished", tries: 1 });
    expect(receiver.arrivals).toHaveLength(0);

    vi.spyOn(console, "error").mockImplementation(() => {});
    const engine = new InngestTestEngine({ function: deliverWebhook });
    const { error } = await engine.execute({ events: [{ name: "webhook/message.requested", data: { messageId: "not-a-uuid" } }] });
    expect(JSON.stringify(error)).toMatch(/messageId: Invalid UUID/);
  });
});

describe("deliver-webhook waits for a busy site asleep, not inside a step (a sleeping run holds no concurrency slot)", () => {
  /** Records when the run reached the sleep, i.e. how long the step before it took. */
  function timedSleep(then: () => Promise<unknown>) {
    const at: number[] = [];
    return { at, handler: async () => { at.push(Date.now()); await then(); return null; } };
  }

  it("a one-thread site whose thread is taken: the step gives the message back at once and the run sleeps until it looks again", async () => {
    const { id, siteId, receiver } = await messageTo(() => ({ status: 200 }), { threads: 1 });
    // Another send holds the site's only thread for the next 30 s.
    await database.db.execute(sql`
      insert into site_leases (site_id, slot, message_id, expires_at) values (${siteId}, 0, ${randomUUID()}, clock_timestamp() + interval '30 seconds')`);
    const freeThread = async () => {
      await database.db.execute(sql`update site_leases set expires_at = '-infinity', message_id = null where site_id = ${siteId}`);
      await sleepUntilDue(id)();
    };
    const sleep = timedSleep(freeThread);
    const started = Date.now();
    const { result, ctx } = await run(id, [], [{ id: "wait-1-again-1", ...sleep }]);

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    // The local worker waits up to THREAD_WAIT_MS (2 s) for a thread inside the attempt; a step does not wait.
    expect(sleep.at[0]! - started).toBeLessThan(1_500);
    const [[stepId, until]] = sleepCalls(ctx as never) as [[string, number]];
    expect(stepId).toBe("wait-1-again-1");
    // "Not before T": a moment later, spread out so that runs sleeping on one site do not all wake at once.
    // (125–250 ms after the step gave the message back, which was between `started` and the sleep.)
    expect(until - started).toBeGreaterThanOrEqual(125);
    expect(until - sleep.at[0]!).toBeLessThanOrEqual(250);
    expect(receiver.arrivals).toHaveLength(1);
    expect((await attemptRows(database.db, id)).map((a) => [a.attemptNo, a.status])).toEqual([[1, "done"]]);
  });

  it("a site whose next start is booked ahead: the step returns that start and the run sleeps until it, instead of waiting in the step", async () => {
    const { id, siteId, receiver } = await messageTo(() => ({ status: 200 }), { rps: 1 });
    // Within the local worker's 1 s pacing horizon, where it would wait inside the attempt.
    await database.db.execute(sql`
      insert into site_pacing (site_id, theoretical_arrival_at) values (${siteId}, clock_timestamp() + interval '600 milliseconds')`);
    const [{ tat }] = await database.db.execute<{ tat: number }>(sql`
      select extract(epoch from theoretical_arrival_at)::float8 * 1000 as tat from site_pacing where site_id = ${siteId}`) as unknown as [{ tat: number }];
    const sleep = timedSleep(sleepUntilDue(id));
    const { result, ctx } = await run(id, [], [{ id: "wait-1-again-1", ...sleep }]);

    // The first step sent nothing: the request went out in the second, after the sleep.
    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    const [[, until]] = sleepCalls(ctx as never) as [[string, number]];
    // It wakes at most PACING_WAIT_MS before the start and waits the rest in the step.
    expect(until).toBeGreaterThanOrEqual(tat - PACING_WAIT_MS - 5);
    expect(receiver.arrivals).toHaveLength(1);
    expect(receiver.arrivals[0]!.at).toBeGreaterThanOrEqual(Math.max(tat - 5, sleep.at[0]!));
  });
});

describe("deliver-webhook after a late start", () => {
  it("a start reserved again far ahead (the token fetch made it late and the site filled up meanwhile) is not waited for in the step", async () => {
    const api = await startWebhookReceiver(() => ({ status: 200 }));
    receivers.push(api);
    let siteId = "";
    // The token endpoint: while it answers, other sends book the site's next 5 seconds.
    const tokenRequests: number[] = [];
    const tokenServer = http.createServer((req, res) => {
      req.resume();
      req.on("end", async () => {
        tokenRequests.push(Date.now());
        await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() + interval '5 seconds' where site_id = ${siteId}`);
        // Slower than the lateness a send may still go out with (its departure hold then covers it).
        await new Promise((r) => setTimeout(r, MAX_HELD_LATENESS_MS + 100));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ access_token: "tok", token_type: "Bearer", expires_in: 3600 }));
      });
    });
    await new Promise<void>((r) => tokenServer.listen(0, "127.0.0.1", r));
    const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    receivers.push({ close: () => new Promise<void>((r) => tokenServer.close(() => r())) } as WebhookReceiver);
    siteId = await insertSite(database.db, {
      url: `${api.url}/hooks`,
      rps: 1,
      authMethod: "oauth2-client-credentials",
      authParams: { tokenUrl, contentType: "application/x-www-form-urlencoded", tokenExpiration: 60, clientId: "app", clientSecret: "s3cret-value" },
      box: secrets(),
    });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
    const siteFreeAgain = async () => {
      await database.db.execute(sql`update site_pacing set theoretical_arrival_at = clock_timestamp() where site_id = ${siteId}`);
      await database.db.update(webhookMessages).set({ nextAttemptAt: sql`clock_timestamp()` }).where(eq(webhookMessages.id, id));
      return null;
    };
    const started = Date.now();
    let sleptAt = 0;
    const { result, ctx } = await run(id, [], [{ id: "wait-1-again-1", handler: () => ((sleptAt = Date.now()), siteFreeAgain()) }]);

    expect(result).toEqual({ messageId: id, outcome: "done", tries: 2 });
    // The first step ended after the token fetch, not 5 s later.
    expect(sleptAt - started).toBeLessThan(2_000);
    const [[, until]] = sleepCalls(ctx as never) as [[string, number]];
    expect(until - sleptAt).toBeGreaterThan(3_000);
    // Nothing was sent by the first step, and no attempt was used up by it.
    expect(api.arrivals).toHaveLength(1);
    expect(tokenRequests).toHaveLength(1);
    expect((await attemptRows(database.db, id)).map((a) => [a.attemptNo, a.status])).toEqual([[1, "done"]]);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "done", attempts: 1 });
  });
});

describe("deliver-webhook and an inactive site", () => {
  const actor: Actor = { kind: "user", userId: "u1", email: "ops@example.com" };

  it("a message paused between attempts ends its run without sending or using an attempt; activating announces it, and it is delivered", async () => {
    const { id, siteId, receiver } = await messageTo((n) => ({ status: n === 1 ? 500 : 200 }));
    // The site is set inactive while the run sleeps before attempt 2.
    const deactivate = async () => {
      await setSiteStatus(database.db, actor, siteId, { status: "inactive" });
      return sleepUntilDue(id)();
    };
    const paused = await run(id, [], [{ id: "wait-1", handler: deactivate }]);

    expect(paused.error).toBeUndefined();
    expect(paused.result).toEqual({ messageId: id, outcome: "paused", tries: 2 });
    // Nothing slept on the paused message: the run is over rather than looping.
    expect(sleepCalls(paused.ctx as never).map(([stepId]) => stepId)).toEqual(["wait-1"]);
    expect(receiver.arrivals).toHaveLength(1);
    expect((await attemptRows(database.db, id)).map((a) => [a.attemptNo, a.status, a.startedAt])).toEqual([
      [1, "resent", expect.any(Date)],
      [2, "queued", null],
    ]);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "resent", attempts: 1, lockedBy: null });

    // Announced again to Inngest is the engine's announce path (inngest.send has no server here).
    const sent = vi.spyOn(inngest, "send").mockResolvedValue({ ids: ["e1"] });
    await setSiteStatus(database.db, actor, siteId, { status: "active" }, engineAnnouncer("inngest"));
    expect(sent).toHaveBeenCalledTimes(1);
    expect(sent.mock.calls[0]![0]).toEqual([expect.objectContaining({ name: "webhook/message.requested", data: { messageId: id, attemptNo: 2 }, id: expect.stringMatching(`^message-requested-${id}-2-again-`) })]);
    sent.mockRestore();

    const resumed = await run(id, []);
    expect(resumed.result).toEqual({ messageId: id, outcome: "done", tries: 1 });
    expect((await attemptRows(database.db, id)).map((a) => a.status)).toEqual(["resent", "done"]);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "done", attempts: 2 });
    expect(receiver.arrivals).toHaveLength(2);
  });

  it("a run started for a message of an inactive site ends at once: nothing sent, no attempt used", async () => {
    const { id, siteId, receiver } = await messageTo(() => ({ status: 200 }));
    await setSiteStatus(database.db, actor, siteId, { status: "inactive" });
    const { result } = await run(id, []);
    expect(result).toEqual({ messageId: id, outcome: "paused", tries: 1 });
    expect(receiver.arrivals).toHaveLength(0);
    expect(await messageRow(database.db, id)).toMatchObject({ status: "queued", attempts: 0, lockedBy: null });
  });
});

describe("deliver-webhook: singleton per message with a function-wide concurrency ceiling", () => {
  it("is configured as one run per message id (skip) and at most 100 steps at once for all messages", () => {
    expect(deliverWebhook.opts.singleton).toEqual({ key: "event.data.messageId", mode: "skip" });
    // No key: the ceiling is shared by every message, not applied per message or per site.
    expect(deliverWebhook.opts.concurrency).toEqual({ limit: 100 });
  });

  it("runs for two different messages to one site deliver side by side, not one after the other", async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 200, delayMs: 500 }));
    receivers.push(receiver);
    const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, threads: 2 });
    // The site's thread slots exist already (two first sends racing to create them find one busy).
    await database.db.execute(sql`insert into site_leases (site_id, slot, expires_at) values (${siteId}, 0, '-infinity'), (${siteId}, 1, '-infinity')`);
    const a = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 1 } });
    const b = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: { n: 2 } });
    const [ra, rb] = await Promise.all([run(a.id, []), run(b.id, [])]);

    expect(ra.result).toEqual({ messageId: a.id, outcome: "done", tries: 1 });
    expect(rb.result).toEqual({ messageId: b.id, outcome: "done", tries: 1 });
    // Both requests were open at the receiver at the same time.
    expect(receiver.maxOpen()).toBe(2);
  });

  it("if a second run for the same message ran anyway (what singleton prevents on a real server), the claim still lets only one send", async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 200, delayMs: 300 }));
    receivers.push(receiver);
    const siteId = await insertSite(database.db, { url: `${receiver.url}/hooks`, threads: 2 });
    const { id } = await enqueue(database.db, { siteId, customerId, action: "order.paid", payload: {} });
    const untilReleased = async () => {
      while ((await messageRow(database.db, id)).lockedBy !== null) await new Promise((r) => setTimeout(r, 20));
      return null;
    };
    const results = await Promise.all([0, 1].map(() => run(id, [], [{ id: "wait-1-again-1", handler: untilReleased }])));

    expect(results.map((r) => (r.result as { outcome: string }).outcome).sort()).toEqual(["done", "finished"]);
    expect(receiver.arrivals).toHaveLength(1);
    expect((await attemptRows(database.db, id)).map((a) => a.status)).toEqual(["done"]);
  });
});
