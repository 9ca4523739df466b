import type { AuthContext, OutgoingRequest, TokenStore } from "../auth-methods/types";
import type { Database } from "../db";
import { clientCertificateSenders, type ClientCertificateSenders } from "../outbound/client-certificate-senders";
import type { GuardedRequest } from "../outbound/guarded-fetch";
import { traceDelivery } from "../observability/delivery-trace";
import { observeAttempt } from "../observability/observe-attempt";
import type { SecretBox } from "../secrets";
import { authorizeRequest, forgetCredentials } from "./authorize-request";
import type { ClaimedMessage } from "./claim-messages";
import { releaseClaim, releaseUnsent } from "./claim-messages";
import type { DatabaseClock } from "./database-clock";
import { describeOutage, isDatabaseOutage } from "./database-outage";
import { deactivateSiteBySystem } from "./deactivate-site";
import { AuthorizeFailure, PrepareError, SendFailure } from "./delivery-errors";
import { LATE_START_MS, MAX_HELD_LATENESS_MS, MAX_LATE_BOOKINGS, USER_AGENT } from "./policy/delivery-rules";
import { encodedEnvelope } from "./envelope";
import { openSecretHeaders, plainHeaders } from "../trusted-sites/stored-headers";
import { recordedRequest } from "./recorded-request";
import { withPayloadSignature } from "./sign-payload";
import { recordOutcome, type AttemptResult, type OutcomeRecorder, type RecordedOutcome } from "./record-outcome";
import { decideRetry, type RetryDecision } from "./policy/retry-decision";
import { formatSeconds, type RetryPolicy } from "./policy/retry-policy";
import {
  departureHold,
  HELD_MAX_RPS,
  holdDepartures,
  notBeforeLocal,
  readHolds,
  recheckAt,
  releaseLease,
  reserveSend,
  reserveStartAgain,
  tookBooking,
  type DepartureHold,
  type StartBooker,
  type ThreadTaker,
} from "./reserve-send";
import type { ClaimReservation } from "./claim-and-reserve";
import { watchDeparture } from "../outbound/request-departures";
import { failureDuration, sendRequest, type SendResult } from "./send-request";

export interface DeliveryDeps {
  db: Database;
  box: SecretBox;
  /** Outbound HTTP: the guarded fetch (private addresses refused, redirects not followed). */
  fetch: typeof fetch;
  /** Outbound HTTP for the webhook itself when set (guarded the same way); token requests keep using fetch. */
  request?: GuardedRequest;
  /** Outbound HTTP for sites with a client certificate (mutual TLS); defaults to pools under ALLOW_PRIVATE_TARGETS. */
  clientCertificates?: ClientCertificateSenders;
  tokens: TokenStore;
  /** The default fixed interval between attempts (a site's policy without an interval of its own uses it). */
  retryIntervalMs: number;
  /** The randomness of exponential backoff's full jitter, in [0, 1); Math.random unless a test injects one. */
  random?: () => number;
  /** Converts reserved start times to this process's clock. */
  clock: DatabaseClock;
  /** How far ahead a send slot may be reserved and waited for (pacing). */
  pacingHorizonMs: number;
  /** How long to wait for one of the site's threads before giving the message back. */
  threadWaitMs: number;
  /** Wakes a wait for a thread early, when this process freed one of the site's threads. */
  threadFreed?: (siteId: string, signal: AbortSignal) => Promise<void>;
  /** Tells the process a thread of the site is free again. */
  onThreadFreed?: (siteId: string) => void;
  /**
   * Tells the process a send is over (answered, failed or timed out) while its result is still to be
   * recorded: the thread slot it holds (`leaseId`) may be handed on to the site's next message
   * (claim-and-reserve.ts); the result's recording releases it otherwise.
   */
  onSendOver?: (siteId: string, leaseId: number, messageId: string) => void;
  /** Books send starts; defaults to one statement per start (the local worker batches them per site). */
  bookStart?: StartBooker;
  /** Takes thread slots; defaults to one statement per send (the local worker batches them per site). */
  takeThread?: ThreadTaker;
  /** Records results; defaults to one statement per result (the local worker batches them). */
  recordOutcome?: OutcomeRecorder;
  /** How long to retry a statement while the database is unreachable (restarting). */
  databaseRetryMs?: number;
  /** A postponement lasts at least this long (the Inngest driver spreads out the runs that sleep on a busy site). */
  postponeAtLeastMs?: number;
  /**
   * How far ahead a start reserved again after a late start (see send) may be waited for; a later one
   * gives the message back unsent instead. Unset: waited for however far (the local worker).
   */
  lateStartWaitMs?: number;
  log?: (line: string) => void;
}

export type AttemptOutcome =
  | RecordedOutcome
  /** Nothing was sent (no free thread, the site booked ahead): the message is due again at `until`. */
  | { kind: "postponed"; until: Date }
  /** Nothing was sent: the site is not active. The message was given back as it was, its attempt unused. */
  | { kind: "paused" };

/**
 * Why a previous holder left its attempt unrecorded, as far as the taker can know. A worker that
 * loses the database keeps its result and records it itself once the database is back: record()
 * retries while it is away (up to databaseRetryMs), renewals resume, and a worker never claims a
 * message it is still on. An attempt is taken over only once its claim lapsed: its holder died, or
 * lost the database longer than a claim lasts and another worker got there first. When the
 * database restarted after the attempt started, the outage is what the Logs name (it cannot tell a
 * holder that died meanwhile); otherwise the holder is taken to have stopped (a network cut that
 * left the database up looks the same from here).
 */
const INTERRUPTED = {
  workerStopped: "the worker stopped during this attempt; whether the receiver got it is unknown",
  databaseAway:
    "the database was unreachable during this attempt (it restarted), so its result could not be recorded; whether the receiver got it is unknown",
};

/**
 * One attempt of a claimed message (DESIGN §3–§4): take a thread and a start slot, wait for the
 * slot, authorize, send, record. A previous holder's interrupted attempt is recorded as failed first.
 */
export async function attemptMessage(
  deps: DeliveryDeps,
  message: ClaimedMessage,
  /** What the claim already reserved for this send (claim-and-reserve.ts); none: reserved here. */
  reserved?: ClaimReservation,
): Promise<AttemptOutcome> {
  if (message.attempt.interrupted) {
    const error = message.attempt.databaseRestarted ? INTERRUPTED.databaseAway : INTERRUPTED.workerStopped;
    return record(deps, message, { succeeded: false, error, startedAt: message.attempt.startedAt ?? undefined }, undefined, { retryAtOnce: true });
  }
  let request: OutgoingRequest;
  try {
    request = prepareRequest(message);
  } catch (error) {
    if (!(error instanceof PrepareError)) throw error;
    deps.log?.(`message ${message.id} cannot be prepared: ${error.message}`);
    if (reserved?.kind !== "reserved") return giveBack(deps, message, postponed(deps.retryIntervalMs));
    // Nothing was sent: the reserved thread and the started mark go back too.
    await releaseLease(deps.db, reserved.leaseId, message.id);
    deps.onThreadFreed?.(message.site.id);
    const { until } = postponed(deps.retryIntervalMs);
    await releaseUnsent(deps.db, message, until);
    return { kind: "postponed", until };
  }
  const reservation = reserved?.kind === "booked" ? postponed(reserved.retryInMs) : (reserved ?? (await reserveThreadAndSlot(deps, message)));
  if (reservation.kind === "lost") return reservation;
  if (reservation.kind === "postponed") return giveBack(deps, message, reservation);
  if (reservation.kind === "paused") {
    await releaseClaim(deps.db, message);
    return reservation;
  }
  traceDelivery(message.id, "reserved");
  let recorded = false;
  try {
    const result = await observeAttempt(message, () => send(deps, message, request, reservation));
    if (result === "paused") {
      // The lease goes back in `finally`.
      await releaseUnsent(deps.db, message);
      return { kind: "paused" };
    }
    if ("kind" in result) {
      await releaseUnsent(deps.db, message, result.until);
      return result;
    }
    deps.onSendOver?.(message.site.id, reservation.leaseId, message.id);
    const outcome = await record(deps, message, result, reservation.leaseId);
    traceDelivery(message.id, "recorded");
    recorded = true;
    return outcome;
  } finally {
    // After an unexpected error the claim is left to expire (the attempt then counts as interrupted),
    // but the site's thread is returned at once.
    if (!recorded) await releaseLease(deps.db, reservation.leaseId, message.id).catch(() => {});
    deps.onThreadFreed?.(message.site.id);
  }
}

async function giveBack(deps: DeliveryDeps, message: ClaimedMessage, outcome: { kind: "postponed"; until: Date }) {
  const until = deps.postponeAtLeastMs ? new Date(Math.max(outcome.until.getTime(), Date.now() + deps.postponeAtLeastMs)) : outcome.until;
  await releaseClaim(deps.db, message, until);
  return { kind: "postponed" as const, until };
}

async function reserveThreadAndSlot(deps: DeliveryDeps, message: ClaimedMessage) {
  const { site, attempt } = message;
  const deadline = Date.now() + deps.threadWaitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
    const outcome = await readingDatabaseClock(deps, () => reserveSend(deps.db, {
      siteId: site.id,
      messageId: message.id,
      claimToken: message.claimToken,
      attemptNo: attempt.attemptNo,
      rps: site.rps,
      threads: site.threads,
      // Held through the slot wait, authorization and the send; released explicitly when done.
      leaseTtlMs: deps.pacingHorizonMs + 2 * site.timeoutMs + 5_000,
      horizonMs: deps.pacingHorizonMs,
    }, deps.bookStart, deps.takeThread));
    if (outcome.kind === "reserved" || outcome.kind === "lost" || outcome.kind === "paused") return outcome;
    if (outcome.kind === "booked") return postponed(outcome.retryInMs);
    const left = deadline - Date.now();
    if (left <= 0) return postponed(50 + Math.random() * 200);
    await waitForThread(deps, site.id, Math.min(pause, left));
  }
}

const postponed = (ms: number) => ({ kind: "postponed" as const, until: new Date(Date.now() + ms) });

async function waitForThread(deps: DeliveryDeps, siteId: string, ms: number) {
  const timer = AbortSignal.timeout(ms);
  await Promise.race([
    new Promise((r) => timer.addEventListener("abort", r, { once: true })),
    deps.threadFreed?.(siteId, timer),
  ]);
}

/**
 * Signs and sends the request at its reserved start; "paused" when a late send finds the site paused,
 * postponed when its new start is further than deps.lateStartWaitMs (nothing sent either way).
 */
async function send(
  deps: DeliveryDeps,
  message: ClaimedMessage,
  prepared: OutgoingRequest,
  reserved: { startAt: number; booking: number; holds: DepartureHold[]; databaseNow: number },
): Promise<AttemptResult | "paused" | { kind: "postponed"; until: Date }> {
  const ctx = authContext(deps, message);
  const { site } = message;
  let { startAt, booking, holds, databaseNow: bookedAt } = reserved;
  let startedAt: Date;
  let signed: OutgoingRequest;
  for (let booked = 0; ; booked++) {
    // The start, or later when a departure hold applies to it (one may appear while waiting).
    const notBefore = () => notBeforeLocal(site.id, startAt, { booking, rps: site.rps }, holds, deps.clock.toLocal);
    tookBooking(site.id, booking);
    let recheck = recheckAt(site.id, { booking, rps: site.rps }, holds, bookedAt);
    for (;;) {
      await waitUntil(deps, notBefore);
      if (recheck === null) break;
      // The predecessor was held, and its hold on this send may be newer than this booking's read.
      const at = recheck;
      await waitUntil(deps, () => deps.clock.toLocal(at));
      holds = (await readingDatabaseClock(deps, () => readHolds(deps.db, site.id))).holds;
      recheck = null;
    }
    traceDelivery(message.id, "slot");
    const request = stamped(prepared, new Date());
    try {
      signed = await signAndAuthorize(deps, message.site, request, ctx);
    } catch (error) {
      if (!(error instanceof AuthorizeFailure)) throw error;
      return { succeeded: false, startedAt: new Date(), error: error.message, request: recordedRequest(request, message.site.bodyEncoding) };
    }
    // The recorded start is taken here, after authorizing, right before the request is handed to
    // the HTTP client: the moment the limiter is accountable for.
    startedAt = new Date();
    // Late again after MAX_LATE_BOOKINGS new starts: the machine is too busy for any start to be kept
    // (each booking's round trip alone outlasts the allowance). It goes out now, its departure hold
    // keeping the later sends back, rather than booking forever while its thread lease runs out.
    if (!isLate(deps, site.rps, startAt, notBefore()) || booked >= MAX_LATE_BOOKINGS) break;
    const again = await readingDatabaseClock(deps, () => reserveStartAgain(deps.db, message.site.id, message.site.rps, deps.bookStart));
    if (!again) return "paused";
    if (deps.lateStartWaitMs !== undefined && again.startAt - again.databaseNow > deps.lateStartWaitMs) {
      return { kind: "postponed", until: new Date(deps.clock.toLocal(again.startAt)) };
    }
    ({ startAt, booking, holds, databaseNow: bookedAt } = again);
  }
  let response: SendResult;
  traceDelivery(message.id, "handed");
  const departure = message.site.rps <= HELD_MAX_RPS ? watchDeparture(message.id, () => holdIfLate(deps, message.site, startAt, booking, deps.clock.now())) : undefined;
  try {
    response = await sendRequest(signed, message.site.timeoutMs, deps.fetch, webhookSender(deps, message.site));
  } catch (error) {
    if (!(error instanceof SendFailure)) throw error;
    return { succeeded: false, startedAt, error: error.message, durationMs: failureDuration(error), request: recordedRequest(signed, message.site.bodyEncoding) };
  } finally {
    departure?.stop();
  }
  traceDelivery(message.id, "answered");
  if (response.responseCode === 401 && (await forgetCredentials(message.site, ctx, signed).catch(() => false))) {
    return resendWithNewToken(deps, message, prepared, ctx, startedAt, response);
  }
  return answered(message, startedAt, response, signed);
}

/** Sleeps until this process's clock reaches `localTime()` (read again on waking: it may have moved on). */
async function waitUntil(deps: DeliveryDeps, localTime: () => number): Promise<void> {
  for (let at; deps.clock.now() < (at = localTime()); ) await new Promise((r) => setTimeout(r, at - deps.clock.now()));
}

/**
 * Whether a send is too late to go out (it then books a new start). Where departure holds are kept
 * (reserve-send.ts), handed more than MAX_HELD_LATENESS_MS after it was allowed to leave (its start,
 * or the end of the holds that bind it), on this process's clock: up to there its own hold pays for
 * the lateness (it binds one send, which it holds back by the excess over the margin), and that hold
 * is in the pacing row before the send it binds is booked or, when this one was held, before that
 * send leaves (it reads the row again, reserve-send.ts recheckAt). A send that books again leaves its
 * start unused, which is what a loaded machine's late timers cost (at 15 ms, half the starts at 100
 * rps beside a CPU hog were booked twice or more). Elsewhere, late on the database's clock at its
 * latest by more than LATE_START_MS, as the 1 % margin alone must then cover it. Never sampled, the
 * clock knows no latest: late (booking again samples it).
 */
function isLate(deps: DeliveryDeps, rps: number, startAt: number, notBefore: number): boolean {
  const latest = deps.clock.latestDatabaseNow();
  if (!Number.isFinite(latest)) return true;
  if (rps > HELD_MAX_RPS) return latest - startAt > LATE_START_MS;
  return deps.clock.now() - notBefore > MAX_HELD_LATENESS_MS;
}

/**
 * Once the request was written (departedAt, this process's clock): when it left late enough to share
 * a second with the send rps bookings later, hold the later sends back (reserve-send.ts). The write
 * runs beside the exchange; a failure only loses the hold for other workers (logged, no request data).
 */
function holdIfLate(deps: DeliveryDeps, site: ClaimedMessage["site"], startAt: number, booking: number, departedAt: number) {
  const hold = departureHold(site.rps, startAt, booking, deps.clock.latestDatabaseNow(departedAt));
  if (!hold) return;
  holdDepartures(deps.db, site.id, hold, departedAt).catch((error: unknown) => {
    deps.log?.(`holding site ${site.id}'s later sends failed: ${error instanceof Error ? error.name : "error"}`);
  });
}

/**
 * The receiver refused a cached token (401), which is now forgotten: a new one (or the one another
 * send just fetched) and one more send at once, within the same attempt (issue 15). A second 401
 * fails the attempt, and forgets that token too.
 */
async function resendWithNewToken(
  deps: DeliveryDeps,
  message: ClaimedMessage,
  prepared: OutgoingRequest,
  ctx: AuthContext,
  startedAt: Date,
  refused: SendResult,
): Promise<AttemptResult> {
  const request = stamped(prepared, new Date());
  let signed: OutgoingRequest;
  try {
    signed = await signAndAuthorize(deps, message.site, request, ctx);
  } catch (error) {
    if (!(error instanceof AuthorizeFailure)) throw error;
    const error401 = `${describeStatus(401)}; getting a new access token failed: ${error.message}`;
    return { succeeded: false, startedAt, ...refused, error: error401, request: recordedRequest(request, message.site.bodyEncoding, RESENT) };
  }
  let response: SendResult;
  try {
    response = await sendRequest(signed, message.site.timeoutMs, deps.fetch, webhookSender(deps, message.site));
  } catch (error) {
    if (!(error instanceof SendFailure)) throw error;
    const durationMs = refused.durationMs + (failureDuration(error) ?? 0);
    return { succeeded: false, startedAt, error: error.message, durationMs, request: recordedRequest(signed, message.site.bodyEncoding, RESENT) };
  }
  if (response.responseCode === 401) await forgetCredentials(message.site, ctx, signed).catch(() => {});
  const durationMs = refused.durationMs + response.durationMs;
  return answered(message, startedAt, { ...response, durationMs }, signed, RESENT);
}

const RESENT = { resentAfterTokenRefresh: true } as const;

function answered(
  message: ClaimedMessage,
  startedAt: Date,
  response: SendResult,
  signed: OutgoingRequest,
  note?: { resentAfterTokenRefresh: true },
): AttemptResult {
  const succeeded = response.responseCode >= 200 && response.responseCode < 300;
  const resent = note ? " (also after a new access token)" : "";
  return {
    succeeded,
    startedAt,
    ...response,
    error: succeeded ? null : describeStatus(response.responseCode) + resent,
    request: recordedRequest(signed, message.site.bodyEncoding, note),
  };
}

function describeStatus(code: number): string {
  if (code >= 300 && code < 400) return `the receiver answered ${code} (a redirect, not followed)`;
  return `the receiver answered ${code}`;
}

/** The secret extra headers, the payload signature (when the site signs), then the site's authentication method. */
export function signAndAuthorize(deps: SendDeps, site: ClaimedMessage["site"], request: OutgoingRequest, ctx: AuthContext) {
  // A client certificate that cannot be used fails here, before anything is sent (its pool is kept for the send).
  webhookSender(deps, site);
  const withSecrets = withSecretHeaders(request, site.headers, deps.box);
  const signed = withPayloadSignature(withSecrets, site.signingSecrets, deps.box, new Date());
  return authorizeRequest(signed, site, deps.box, ctx);
}

/** What signing and sending need of the delivery's dependencies (Test connection passes the same). */
export type SendDeps = Pick<DeliveryDeps, "box" | "request" | "clientCertificates">;

let defaultCertificateSenders: ClientCertificateSenders | undefined;

/** How the webhook is sent: over the site's own mutual-TLS pool when it has a client certificate. */
export function webhookSender(deps: SendDeps, site: Pick<ClaimedMessage["site"], "clientCertificate">): GuardedRequest | undefined {
  const certificate = site.clientCertificate;
  if (!certificate) return deps.request;
  const senders = deps.clientCertificates ?? (defaultCertificateSenders ??= clientCertificateSenders());
  return senders.requestFor(`${certificate.fingerprint256} ${certificate.privateKey} ${certificate.ca}`, () => {
    try {
      return { cert: certificate.certificate, key: deps.box.decrypt(certificate.privateKey), ca: certificate.ca || undefined };
    } catch {
      throw new AuthorizeFailure("the site's client certificate key cannot be decrypted (was APP_ENCRYPTION_KEY changed?): enter the key again on the site");
    }
  });
}

function withSecretHeaders(request: OutgoingRequest, headers: ClaimedMessage["site"]["headers"], box: SecretBox): OutgoingRequest {
  if (!headers.some((h) => h.secret)) return request;
  try {
    return { ...request, headers: { ...request.headers, ...openSecretHeaders(headers, box) } };
  } catch {
    // Sending without it would only be refused; say what to do instead.
    throw new AuthorizeFailure("a secret extra header cannot be decrypted (was APP_ENCRYPTION_KEY changed?): enter its value again on the site");
  }
}

/** What every receiver gets (DESIGN §3), shaped by the site (method, encoding, extra headers); the body is the same on every attempt. */
export function prepareRequest(message: Pick<ClaimedMessage, "id" | "action" | "customerId" | "payload" | "createdAt" | "site">): OutgoingRequest {
  if (!URL.canParse(message.site.url)) throw new PrepareError("the site's URL is not a valid URL");
  const { site } = message;
  const extra = plainHeaders(site.headers);
  return {
    method: site.httpMethod,
    url: site.url,
    headers: {
      "user-agent": USER_AGENT,
      ...extra,
      "content-type": site.contentType,
      "webhook-id": message.id,
    },
    body: encodedEnvelope(message, site.bodyEncoding),
  };
}

/** Webhook-Timestamp is the send time in unix seconds, taken after any pacing wait. */
export function stamped(request: OutgoingRequest, now: Date): OutgoingRequest {
  return { ...request, headers: { ...request.headers, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)) } };
}

function authContext(deps: DeliveryDeps, message: ClaimedMessage): AuthContext {
  const timeoutMs = message.site.timeoutMs;
  return {
    siteId: message.site.id,
    message: { id: message.id, action: message.action, customerId: message.customerId, createdAt: message.createdAt },
    now: () => new Date(),
    // Token endpoints get the site's timeout too, so a hanging one fails the attempt like a hanging receiver.
    fetch: (input, init) => deps.fetch(input, { signal: AbortSignal.timeout(timeoutMs), ...init }),
    tokens: deps.tokens,
  };
}

/**
 * Records the result with the retry its site's policy decides (retry-decision.ts), retrying while
 * the database is unreachable, so a finished send is not lost to a restart. Then, when the receiver
 * answered 410 Gone or every attempt has failed for the policy's deactivation period, the system
 * sets the site inactive (its messages pause; activating resumes them).
 */
async function record(
  deps: DeliveryDeps,
  message: ClaimedMessage,
  result: AttemptResult,
  leaseId: number | undefined,
  /** An interrupted attempt is followed by the next at once, when the policy allows one. */
  options: { retryAtOnce?: boolean } = {},
): Promise<RecordedOutcome> {
  const policy = message.site.retryPolicy;
  const decision = decideRetry(policy, message.attempt.attemptNo, result, {
    defaultIntervalMs: deps.retryIntervalMs,
    now: new Date(),
    random: deps.random,
  });
  const retryInMs = decision.retry ? (options.retryAtOnce ? 0 : decision.delayMs) : null;
  const deactivateAfterMs = policy.deactivateAfterSeconds === null ? null : policy.deactivateAfterSeconds * 1000;
  const write = deps.recordOutcome ?? ((...args: Parameters<OutcomeRecorder>) => recordOutcome(deps.db, ...args));
  const outcome = await whileDatabaseAway(deps, () => write(message, result, { retryInMs, leaseId, deactivateAfterMs }));
  const reason = deactivationReason(decision, outcome, policy);
  if (reason) {
    await whileDatabaseAway(deps, () => deactivateSiteBySystem(deps.db, message.site.id, reason)).catch((error: unknown) => {
      // The outcome is recorded; the next such answer tries again.
      deps.log?.(`site ${message.site.id} could not be deactivated: ${error instanceof Error ? error.name : "error"}`);
    });
  }
  return outcome;
}

function deactivationReason(decision: RetryDecision, outcome: RecordedOutcome, policy: RetryPolicy): string | null {
  if (outcome.kind === "lost" || outcome.kind === "done") return null;
  if (decision.goneAt) return `Receiver answered 410 Gone at ${formatUtc(decision.goneAt)}`;
  if (outcome.failingSince && policy.deactivateAfterSeconds !== null) {
    return `Every attempt failed since ${formatUtc(outcome.failingSince)} (automatic deactivation after ${formatSeconds(policy.deactivateAfterSeconds)} of failures)`;
  }
  return null;
}

/** "2026-12-02 03:41:07 UTC": the same for every reader, whatever their time zone. */
function formatUtc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Runs a statement that reads the database's clock, and lets this process's clock learn from its answer. */
function readingDatabaseClock<T extends object | null>(deps: DeliveryDeps, statement: () => Promise<T>): Promise<T> {
  return whileDatabaseAway(deps, async () => {
    const sentAt = deps.clock.now();
    const answer = await statement();
    if (answer && "databaseNow" in answer && typeof answer.databaseNow === "number") deps.clock.sample(answer.databaseNow, sentAt);
    return answer;
  });
}

/**
 * Runs a statement, retrying while PostgreSQL is unreachable (postgres.js reconnects by itself).
 * The claim token in every statement makes a retry safe: once another worker holds the message,
 * the statement changes nothing.
 */
async function whileDatabaseAway<T>(deps: DeliveryDeps, statement: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + (deps.databaseRetryMs ?? 60_000);
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await statement();
    } catch (error) {
      if (!isDatabaseOutage(error) || Date.now() > deadline) throw error;
      deps.log?.(`the database is unreachable (${describeOutage(error)}); retrying`);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
