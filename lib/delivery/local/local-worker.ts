import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import type { Database } from "../../db";
import { createDatabaseTokenStore } from "../../oauth/token-store";
import { clientCertificateSenders } from "../../outbound/client-certificate-senders";
import { createGuardedAgent, createGuardedFetch, createGuardedRequest } from "../../outbound/guarded-fetch";
import { secrets, type SecretBox } from "../../secrets";
import { DUE_CHANNEL } from "../announce";
import { attemptMessage, type AttemptOutcome, type DeliveryDeps } from "../attempt-message";
import { extendClaims, nextDueAt, type ClaimedMessage } from "../claim-messages";
import { claimDueAndReserve, releaseLostClaims, type ClaimReservation, type HandedOnSlot } from "../claim-and-reserve";
import { calibrateDatabaseClock, databaseClock, preciseClock, type DatabaseClock } from "../database-clock";
import { describeOutage, isDatabaseOutage } from "../database-outage";
import { DEFAULT_CLAIM_TTL_MS, DEFAULT_RETRY_INTERVAL_MS, PACING_HORIZON_MS, THREAD_WAIT_MS } from "../policy/delivery-rules";
import { purgeExpired } from "../purge-expired";
import { outcomeBatcher } from "../record-outcome";
import { startBooker, threadTaker } from "../reserve-send";
import { warmUpHttp } from "./warm-up-http";
import { traceDelivery } from "../../observability/delivery-trace";

export interface LocalWorkerOptions {
  db: Database;
  /** The postgres.js client behind `db`, for LISTEN. */
  sql: postgres.Sql;
  box?: SecretBox;
  /** ALLOW_PRIVATE_TARGETS syntax; defaults to the environment's setting. */
  allowPrivateTargets?: string;
  /** Attempts running at once in this process. */
  concurrency?: number;
  /** How long a claim lasts without renewal: after a crash, the dead worker's messages wait this long. */
  claimTtlMs?: number;
  /** The default policy's interval between attempts (WEBHOOK_RETRY_INTERVAL_MS). */
  retryIntervalMs?: number;
  /** Exponential backoff's jitter source (tests inject one); Math.random by default. */
  random?: () => number;
  pacingHorizonMs?: number;
  threadWaitMs?: number;
  /** How often the retention purge runs; 0 turns it off. */
  purgeEveryMs?: number;
  log?: (line: string) => void;
}

export interface LocalWorker {
  readonly id: string;
  /** Stops claiming, lets in-flight attempts finish (up to `graceMs`), and stops its timers. */
  stop(graceMs?: number): Promise<void>;
}

const HOUR = 3_600_000;
const WAKE_MARGIN_MS = 2;

/**
 * The local delivery engine (DESIGN §5): claims due messages with SKIP LOCKED, wakes on NOTIFY and
 * on a timer for the next due time (never polls while idle), runs attempts concurrently, renews its
 * claims while it works, and carries on by itself when PostgreSQL goes away and comes back.
 * Several processes can run it against one database.
 */
export function startLocalWorker(options: LocalWorkerOptions): LocalWorker {
  const { db } = options;
  const id = randomUUID();
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 100;
  const claimTtlMs = options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
  const claimBatch = Math.max(1, Math.floor(concurrency / 10));
  const box = options.box ?? secrets();
  const threads = threadSignals();
  const outbound = createGuardedAgent({ allow: options.allowPrivateTargets });
  const deps: DeliveryDeps = {
    db,
    box,
    fetch: createGuardedFetch({}, outbound),
    request: createGuardedRequest(outbound),
    clientCertificates: clientCertificateSenders({ allow: options.allowPrivateTargets }),
    tokens: createDatabaseTokenStore(db, box),
    retryIntervalMs: options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    random: options.random,
    clock: databaseClock(undefined, preciseClock),
    pacingHorizonMs: options.pacingHorizonMs ?? PACING_HORIZON_MS,
    threadWaitMs: options.threadWaitMs ?? THREAD_WAIT_MS,
    threadFreed: threads.wait,
    onThreadFreed: threads.notify,
    onSendOver: (siteId, leaseId, messageId) => sendOver(siteId, leaseId, messageId),
    bookStart: startBooker(db),
    takeThread: threadTaker(db),
    recordOutcome: outcomeBatcher(db, { leaseAtIssue: (messageId, leaseId) => leaseToRelease(messageId, leaseId) }),
    log,
  };

  const inFlight = new Map<string, Promise<void>>();
  /** Sends in flight per site (claimed, not yet over), and the site's thread limit as last read. */
  const perSite = new Map<string, { count: number; threads: number }>();
  /**
   * By holder: the thread slots of sends that are over, for the next claim to hand on. Each slot is
   * either released by its holder's recorded result (if no claim took it first) or the claim's.
   */
  const handOn = new Map<string, HandedOnSlot>();
  /** Holders whose slot a claim took: their results are recorded without releasing it. */
  const slotTaken = new Set<string>();
  /** Messages whose send is over (no longer counted in perSite). */
  const sendsOver = new Set<string>();
  /** Messages whose attempt ended without a recorded result, until their claims have lapsed: their sends may have gone out. */
  const abandoned = new Set<string>();
  /** A claim failed: whether it committed is unknown, so what it may have claimed is given back before the next one. */
  let claimLost = false;
  let stopping = false;
  let warmedUp = false;
  /** The claim pass under way, if any: stop() waits for it, so what it claims is finished too. */
  let claiming: Promise<void> | undefined;
  let claimAgain = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let wakeAt = Infinity;
  let outageBackoffMs = 0;
  /** When (on the database's clock, at the earliest) the pass's last claim was issued. */
  let lastClaimAt = 0;

  function wakeAtTime(at: number) {
    if (stopping || at >= wakeAt) return;
    clearTimeout(wakeTimer);
    wakeAt = at;
    // A due time read back as a Date lost its sub-millisecond part (up to 1 ms early) and a timer may
    // fire a little early by Date.now(): waking before the message is due on the database's clock, the
    // pass claimed nothing, and nextDueAt (messages due *later*) read just after missed it too, leaving
    // it for the claim-TTL timer (30 s). So wake WAKE_MARGIN_MS after the due time.
    wakeTimer = setTimeout(() => {
      wakeAt = Infinity;
      void claimPass();
    }, Math.max(0, at - Date.now()) + WAKE_MARGIN_MS);
  }

  async function claimPass(): Promise<void> {
    if (stopping || !warmedUp) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    let passDone = () => {};
    claiming = new Promise((resolve) => (passDone = resolve));
    try {
      let drained = false;
      do {
        claimAgain = false;
        drained = await claimWhileDue();
      } while (claimAgain && !stopping);
      // Only when nothing more is due is the next due time worth a query; a full worker claims
      // again as soon as an attempt finishes.
      // Due after the last claim, not after now: a message that fell due while that claim and this
      // query ran was neither claimed nor in the future any more, and waited for the fallback (a
      // wake-up timer firing a few ms early made it common). One due meanwhile but not claimable
      // (held, site full) costs one more pass, whose claim is later than it.
      if (drained && !stopping) {
        const due = await nextDueAt(db, new Date(lastClaimAt));
        wakeAtTime(Math.min(due?.getTime() ?? Infinity, Date.now() + claimTtlMs));
      }
      outageBackoffMs = 0;
    } catch (error) {
      // Most likely PostgreSQL is restarting: try again shortly; postgres.js reconnects by itself.
      // Capped at a second: a reconnected LISTEN also claims at once, but must not be the only way back.
      outageBackoffMs = Math.min(Math.max(outageBackoffMs * 2, 100), 1_000);
      log(`claiming messages failed (${describe(error)}); retrying in ${outageBackoffMs} ms`);
      wakeAtTime(Date.now() + outageBackoffMs);
    } finally {
      claiming = undefined;
      passDone();
      // A notification that arrived after the last claim (while the next due time was read) would
      // otherwise wait for the wake-up timer: up to a claim TTL for a message that is due now.
      if (claimAgain && !stopping) claimNow();
    }
  }

  /**
   * Claims until this worker is full (false) or nothing more is due (true). A busy worker waits until
   * a batch's worth of attempts has finished: each claim locks a window of candidate rows, and one
   * claim per finished attempt cost PostgreSQL more than the attempt itself.
   */
  async function claimWhileDue(): Promise<boolean> {
    if (claimLost) {
      const released = await releaseLostClaims(db, id, [...inFlight.keys(), ...abandoned]);
      claimLost = false;
      if (released > 0) log(`gave back ${released} messages claimed by a claim whose answer was lost`);
    }
    for (;;) {
      const free = concurrency - inFlight.size;
      if (free <= 0 || stopping) return false; // a finishing attempt claims again
      if (free < claimBatch && inFlight.size > 0) return false;
      const full = [...perSite].filter(([, s]) => s.count >= s.threads).map(([site]) => site);
      const counts = Object.fromEntries([...perSite].map(([site, s]) => [site, s.count]));
      lastClaimAt = earliestDatabaseTime(deps.clock);
      traceDelivery("-", "claim-issued");
      // The claim also reserves its messages' sends (claim-and-reserve.ts).
      // The slots handed on are this claim's from here (handed to its messages or freed by it).
      const slots = [...handOn.values()];
      for (const slot of slots) {
        handOn.delete(slot.messageId);
        slotTaken.add(slot.messageId);
      }
      const { claimed, reserved } = await claimDueAndReserve(db, deps.clock, {
        claimToken: id, limit: free, ttlMs: claimTtlMs, horizonMs: deps.pacingHorizonMs,
        inFlight: counts, fullSites: full, holding: [...inFlight.keys()], handOn: slots,
      }).catch((error) => {
        // Whether it committed is unknown: each slot goes back to its holder's result to release
        // (guarded by holder, so it frees only a slot not handed on); a holder already recorded lets it expire.
        for (const slot of slots) if (slotTaken.delete(slot.messageId) && inFlight.has(slot.messageId)) handOn.set(slot.messageId, slot);
        claimLost = true;
        throw error;
      });
      for (const message of claimed) {
        traceDelivery(message.id, "claimed");
        const site = perSite.get(message.site.id) ?? { count: 0, threads: message.site.threads };
        site.threads = message.site.threads;
        site.count++;
        perSite.set(message.site.id, site);
        run(message, reserved.get(message.id));
      }
      if (claimed.length < free) return true;
    }
  }

  /**
   * Coalesces the claim passes asked for by attempts finishing together (an outcome batch's settle in
   * one turn of the event loop). Not a 1 ms timer: under load it fired 1.1–1.6 ms after the outcome
   * was recorded, between every send of a thread and its next.
   */
  let passSoon: NodeJS.Immediate | undefined;
  function claimSoon() {
    passSoon ??= setImmediate(() => {
      passSoon = undefined;
      void claimPass();
    });
  }

  /**
   * A notification claims without the timer's millisecond (an idle message waits for nothing else);
   * notifications arriving together still make one pass, and one arriving during a pass one more.
   */
  let passNow: NodeJS.Immediate | undefined;
  function claimNow() {
    passNow ??= setImmediate(() => {
      passNow = undefined;
      void claimPass();
    });
  }

  function run(message: ClaimedMessage, reserved?: ClaimReservation) {
    const task = attemptMessage(deps, message, reserved)
      .then((outcome) => afterAttempt(outcome))
      .catch((error) => {
        log(`attempt of message ${message.id} failed unexpectedly: ${describe(error)}`);
        abandoned.add(message.id);
        setTimeout(() => abandoned.delete(message.id), claimTtlMs + WAKE_MARGIN_MS).unref();
        // Its claim is left to lapse (at most a claim TTL from now: renewed until now), and the
        // message is due already, which no next-due time names: wake when it can be claimed again.
        wakeAtTime(Date.now() + claimTtlMs + WAKE_MARGIN_MS);
      })
      .finally(() => {
        inFlight.delete(message.id);
        // Its result recorded (or not: then the lease was released), its slot is no one's to hand on.
        handOn.delete(message.id);
        slotTaken.delete(message.id);
        if (!sendsOver.delete(message.id)) countSendOver(message.site.id);
        claimSoon();
      });
    inFlight.set(message.id, task);
  }

  function countSendOver(siteId: string) {
    const site = perSite.get(siteId);
    if (site && --site.count <= 0) perSite.delete(siteId);
  }

  /** The lease an outcome's statement releases: none when a claim took its slot over. */
  function leaseToRelease(messageId: string, leaseId: number | undefined): number | undefined {
    handOn.delete(messageId);
    return slotTaken.has(messageId) ? undefined : leaseId;
  }

  /** A send is over while its result is being recorded: its thread may serve the site's next message at once. */
  function sendOver(siteId: string, leaseId: number, messageId: string) {
    if (!inFlight.has(messageId) || sendsOver.has(messageId)) return;
    sendsOver.add(messageId);
    countSendOver(siteId);
    handOn.set(messageId, { leaseId, messageId, siteId });
    claimSoon();
  }

  // A paused message needs no timer: activating its site notifies the workers.
  function afterAttempt(outcome: AttemptOutcome) {
    if (outcome.kind === "retry") wakeAtTime(outcome.nextAttemptAt.getTime());
    else if (outcome.kind === "postponed") wakeAtTime(outcome.until.getTime());
  }

  const renewal = setInterval(() => {
    extendClaims(db, id, [...inFlight.keys()], claimTtlMs).catch((error) => log(`renewing claims failed (${describe(error)})`));
  }, claimTtlMs / 3);

  const purgeEveryMs = options.purgeEveryMs ?? HOUR;
  const purge = () =>
    purgeExpired(db)
      .then(
        ({ attempts, partitions, messages }) =>
          (attempts || partitions || messages) &&
          log(`purged ${partitions} days and ${attempts} more attempts, and ${messages} messages older than 90 days`),
      )
      .catch((error) => log(`purging old logs failed (${describe(error)})`));
  const purgeTimer = purgeEveryMs > 0 ? setInterval(purge, purgeEveryMs) : undefined;
  if (purgeEveryMs > 0) void purge();

  // postgres.js re-runs LISTEN after a reconnect and calls onlisten again: each (re)connect claims
  // what was announced while the connection was down.
  const listening = listenForDueMessages(options.sql, () => (traceDelivery("-", "notified"), claimNow()), log, () => stopping);
  void warmUpHttp()
    .catch((error) => log(`warming up the HTTP client failed (${describe(error)})`))
    // Without it the first sends pace against one round trip's bounds (see database-clock.ts).
    .then(() => calibrateDatabaseClock(db, deps.clock))
    .catch((error) => log(`reading the database clock failed (${describe(error)})`))
    .then(() => {
      warmedUp = true;
      log(`${id} ready`);
      return claimPass();
    });

  return {
    id,
    async stop(graceMs = 60_000) {
      stopping = true;
      clearTimeout(wakeTimer);
      clearImmediate(passSoon);
      clearImmediate(passNow);
      clearInterval(purgeTimer);
      await (await listening)?.unlisten().catch(() => {});
      await claiming;
      const finished = Promise.allSettled([...inFlight.values()]);
      await Promise.race([finished, new Promise((r) => setTimeout(r, graceMs).unref())]);
      clearInterval(renewal);
    },
  };
}

/** The earliest the database's clock can read now (unsampled, or behind it: this process's clock). */
function earliestDatabaseTime(clock: DatabaseClock): number {
  const local = clock.now();
  return local - Math.max(0, clock.toLocal(local) - local);
}

async function listenForDueMessages(sql: postgres.Sql, onDue: () => void, log: (line: string) => void, stopped: () => boolean) {
  for (let pause = 250; !stopped(); pause = Math.min(pause * 2, 5_000)) {
    try {
      return await sql.listen(DUE_CHANNEL, onDue, onDue);
    } catch (error) {
      if (!isDatabaseOutage(error)) log(`listening for new messages failed (${describe(error)})`);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
  return undefined;
}

/** Lets attempts waiting for one of a site's threads wake as soon as this process frees one. */
function threadSignals() {
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait(siteId: string, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const set = waiting.get(siteId) ?? new Set();
        waiting.set(siteId, set);
        const done = () => {
          set.delete(done);
          if (set.size === 0) waiting.delete(siteId);
          resolve();
        };
        set.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    },
    notify(siteId: string) {
      for (const wake of [...(waiting.get(siteId) ?? [])]) wake();
    },
  };
}

/** Never the query text or its parameters (drizzle's wrapper message): the driver's cause only. */
const describe = describeOutage;
