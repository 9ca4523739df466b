import { randomUUID } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import { authMethodModule } from "../auth-methods/registry";
import { openParams, TOKEN_FIELDS } from "../auth-methods/stored-params";
import type { AuthContext, Explanation, OutgoingRequest, TokenStore } from "../auth-methods/types";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { prepareRequest, signAndAuthorize, stamped, webhookSender, type SendDeps } from "../delivery/attempt-message";
import { forgetCredentials } from "../delivery/authorize-request";
import { claimedSite, type ClaimedMessage } from "../delivery/claim-messages";
import { AuthorizeFailure, PrepareError, SendFailure } from "../delivery/delivery-errors";
import { recordedRequest, REDACTED } from "../delivery/recorded-request";
import { bookEachStart, releaseLease, takeSpareThread } from "../delivery/reserve-send";
import { failureDuration, sendRequest } from "../delivery/send-request";
import { ConflictError } from "../errors";
import { redactUrl } from "../observability/redact-url";
import type { GuardedRequest } from "../outbound/guarded-fetch";
import type { SecretBox } from "../secrets";
import { getSiteOrThrow } from "./get-site";
import { openSecretHeaders } from "./stored-headers";
import { recordingTokenFetch, watchedTokenStore } from "./token-exchange-recorder";
import { describeSendFailure, describeStatus } from "./describe-test-outcome";

/** The action of a test message: receivers can tell it from real events (and ignore it). */
export const TEST_ACTION = "test_connection";
/** A test is about no customer: the envelope carries the nil UUID. */
export const TEST_CUSTOMER_ID = "00000000-0000-0000-0000-000000000000";
/** How far ahead a test waits for a start under the site's rps; a site booked further is "busy". */
const TEST_START_HORIZON_MS = 5_000;
const MAX_RESPONSE_HEADERS = 40;
const MAX_HEADER_VALUE = 500;

export interface TestConnectionDeps {
  db: Database;
  box: SecretBox;
  /** The guarded outbound fetch (ALLOW_PRIVATE_TARGETS applies), for the webhook and token requests. */
  fetch: typeof fetch;
  /** The site's token cache, as deliveries use it. */
  tokens: TokenStore;
  /** Mutual-TLS pools for sites with a client certificate (default: the process's own, as deliveries). */
  clientCertificates?: SendDeps["clientCertificates"];
}

export interface ShownRequest {
  method: string;
  url: string;
  /** Credentials replaced by "[redacted]", as the Logs show them. */
  headers: Record<string, string>;
  body: string;
  bodyEncoding: string;
}

export type TestOutcome =
  | {
      kind: "response";
      /** A 2xx: a real attempt would be done. */
      ok: boolean;
      status: number;
      durationMs: number;
      headers: [string, string][];
      bodyExcerpt: string;
      /** In words: what a real attempt would make of this answer. */
      verdict: string;
      resentAfterTokenRefresh: boolean;
    }
  | {
      kind: "error";
      stage: "prepare" | "authorization" | "send";
      /** What the Logs would record. */
      error: string;
      /** The same in an operator's words, with what to check. */
      explanation: string;
      durationMs: number | null;
    };

export interface ConnectionTest {
  testId: string;
  siteId: string;
  sentAt: string;
  /** How the test was paced: it takes one of the site's threads and one start under its rps, like a delivery. */
  pacing: string;
  /** The request as sent, signed; null when none could be made. */
  request: ShownRequest | null;
  /** The authentication method's account of what it did (null for none, or when nothing was signed). */
  explanation: Explanation | null;
  outcome: TestOutcome;
}

/**
 * Test connection (issue 14): sends one test message to the site now, through the delivery's own
 * steps (prepareRequest, the payload signature, the method's authorize, sendRequest over the guarded
 * fetch with the site's timeout), and returns the request as sent (credentials redacted), the
 * method's explanation and the answer. Works for draft, inactive and active sites.
 *
 * Not recorded in the Logs: a test is no message (no customer, no retries, not in the Queue, not in
 * the delivery metrics); the audit trail records who tested and what came back (`site.tested`).
 * For an active site the test takes one of its threads and one start under its rps, the same rows
 * deliveries use, so it never adds a request beyond the site's limits; it authorizes once before
 * booking that start (a token fetch then cannot make the send late), and a 401 to a cached token
 * is re-sent once with a new token within the same start, as an attempt would. A draft or inactive
 * site sends nothing else, so its test is not paced.
 */
export async function testConnection(deps: TestConnectionDeps, actor: Actor, siteId: string): Promise<ConnectionTest> {
  const row = await getSiteOrThrow(deps.db, siteId);
  const testId = randomUUID();
  const message = {
    id: testId,
    action: TEST_ACTION,
    customerId: TEST_CUSTOMER_ID,
    payload: { test: true, note: "A test message sent with Test connection: no event happened." },
    createdAt: new Date(),
    site: claimedSite(row),
  };
  const result = await runTest(deps, message, row.status === "active");
  const secretValues = secretsOf(deps.box, message.site, result.sentHeaders, result.tokens);
  const test = scrubbed({ testId, siteId, sentAt: message.createdAt.toISOString(), ...result.shown }, secretValues);
  await recordAuditEvent(deps.db, {
    actor,
    action: "site.tested",
    siteId,
    details: test.outcome.kind === "response" ? { status: test.outcome.status } : { failed: test.outcome.stage },
  });
  return test;
}

type TestMessage = Pick<ClaimedMessage, "id" | "action" | "customerId" | "payload" | "createdAt" | "site">;

interface RunResult {
  shown: Omit<ConnectionTest, "testId" | "siteId" | "sentAt">;
  /** The credential header values sent and every token used: never to be shown. */
  sentHeaders: string[];
  tokens: string[];
}

async function runTest(deps: TestConnectionDeps, message: TestMessage, active: boolean): Promise<RunResult> {
  const { site } = message;
  let prepared: OutgoingRequest;
  try {
    prepared = prepareRequest(message);
  } catch (error) {
    if (!(error instanceof PrepareError)) throw error;
    const outcome = { kind: "error", stage: "prepare", error: error.message, explanation: `The request cannot be made: ${error.message}. Edit the site.`, durationMs: null } as const;
    return { shown: { pacing: NOT_SENT, request: null, explanation: null, outcome }, sentHeaders: [], tokens: [] };
  }
  const recorder = recordingTokenFetch((input, init) => deps.fetch(input, { signal: AbortSignal.timeout(site.timeoutMs), ...init }));
  const tokens: string[] = [];
  let tokenExpiresAt: Date | null = null;
  const ctx: AuthContext = {
    siteId: site.id,
    message: { id: message.id, action: message.action, customerId: message.customerId, createdAt: message.createdAt },
    now: () => new Date(),
    fetch: recorder.fetch,
    tokens: watchedTokenStore(deps.tokens, (token) => {
      tokens.push(token.accessToken);
      tokenExpiresAt = token.expiresAt;
    }),
  };
  const sendDeps: SendDeps = { box: deps.box, clientCertificates: deps.clientCertificates };
  const authorize = () => signAndAuthorize(sendDeps, site, stamped(prepared, new Date()), ctx);
  const explain = async (sent: OutgoingRequest) => {
    const method = authMethodModule(site.authMethod);
    if (!method.explain) return null;
    try {
      const params = openParams(site.authMethod, site.authParams, deps.box);
      const secretValues = secretsOf(deps.box, site, [], tokens);
      return await method.explain(sent, params, { tokenExchanges: recorder.exchanges, tokenExpiresAt, secretValues });
    } catch (error) {
      // The request went out and its answer is what matters; an explanation that fails is only missing.
      return { summary: `The ${method.label} method could not explain this request (${error instanceof Error ? error.name : "error"}).`, items: [] };
    }
  };
  const authorizationFailed = (error: AuthorizeFailure, request: OutgoingRequest, pacing: string): RunResult => ({
    shown: {
      pacing,
      request: shownRequest(request, message),
      explanation: null,
      outcome: { kind: "error", stage: "authorization", error: error.message, explanation: describeAuthorizeFailure(error.message), durationMs: null },
    },
    sentHeaders: credentialValues(request, message),
    tokens,
  });

  let pacing = `Not paced: the site is not active, so nothing else is being sent to it.`;
  let leaseId: number | null = null;
  try {
    if (active) {
      // A thread first, as deliveries take them; then authorize (a token fetch happens now, not after the start).
      leaseId = await takeSpareThread(deps.db, { siteId: site.id, threads: site.threads }, message.id, TEST_START_HORIZON_MS + 3 * site.timeoutMs + 5_000);
      if (leaseId === null) throw new ConflictError(`All ${site.threads} of the site's threads are busy sending: try again in a moment.`);
      try {
        await authorize();
      } catch (error) {
        if (!(error instanceof AuthorizeFailure)) throw error;
        return authorizationFailed(error, stamped(prepared, new Date()), "Took one of the site's threads; no start was used (authorization failed first).");
      }
      const start = await bookEachStart(deps.db)(site.id, site.rps, TEST_START_HORIZON_MS);
      if (start.startAt === null) {
        throw new ConflictError(
          start.bookedMs === null
            ? "The site is being set inactive: try again in a moment."
            : `The site's sends are booked ${Math.ceil(start.bookedMs / 1000)} s ahead by its limit of ${site.rps} requests per second: try again later.`,
        );
      }
      const waitMs = Math.max(0, start.startAt - start.databaseNow);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      pacing = `Took one of the site's ${site.threads} thread(s) and one start under its ${site.rps} requests per second${waitMs >= 1 ? ` (waited ${Math.round(waitMs)} ms for it)` : ""}, as a delivery does.`;
    }
    let signed: OutgoingRequest;
    try {
      signed = await authorize();
    } catch (error) {
      if (!(error instanceof AuthorizeFailure)) throw error;
      return authorizationFailed(error, stamped(prepared, new Date()), pacing);
    }
    let outcome = await send(signed, site.timeoutMs, deps.fetch, webhookSender(sendDeps, site));
    let resent = false;
    const sentHeaders = credentialValues(signed, message);
    if (outcome.kind === "response" && outcome.status === 401 && (await forgetCredentials(site, ctx, signed).catch(() => false))) {
      try {
        signed = await authorize();
      } catch (error) {
        if (!(error instanceof AuthorizeFailure)) throw error;
        return authorizationFailed(error, stamped(prepared, new Date()), pacing);
      }
      sentHeaders.push(...credentialValues(signed, message));
      outcome = await send(signed, site.timeoutMs, deps.fetch, webhookSender(sendDeps, site));
      resent = true;
    }
    if (outcome.kind === "response") outcome = { ...outcome, resentAfterTokenRefresh: resent };
    return { shown: { pacing, request: shownRequest(signed, message), explanation: await explain(signed), outcome }, sentHeaders, tokens };
  } finally {
    if (leaseId !== null) await releaseLease(deps.db, leaseId, message.id).catch(() => {});
  }
}

const NOT_SENT = "Nothing was sent.";

async function send(request: OutgoingRequest, timeoutMs: number, guarded: typeof fetch, withCertificate: GuardedRequest | undefined): Promise<TestOutcome> {
  let headers: [string, string][] = [];
  const keep = (entries: [string, string][]) => {
    headers = entries.slice(0, MAX_RESPONSE_HEADERS).map(([name, value]) => [name, value.slice(0, MAX_HEADER_VALUE)]);
  };
  // The delivery's sendRequest over the guarded fetch (or the site's mutual-TLS pool); these wrappers only keep the response headers to show.
  const keepingHeaders: typeof fetch = async (input, init) => {
    const response = await guarded(input, init);
    keep([...response.headers]);
    return response;
  };
  const keepingHeadersTls: GuardedRequest | undefined = withCertificate && (async (req, signal) => {
    const response = await withCertificate(req, signal);
    keep(Object.entries(response.headers ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name, [value].flat().join(", ")] as [string, string]])));
    return response;
  });
  try {
    const result = await sendRequest(request, timeoutMs, keepingHeaders, keepingHeadersTls);
    return {
      kind: "response",
      ok: result.responseCode >= 200 && result.responseCode < 300,
      status: result.responseCode,
      durationMs: result.durationMs,
      headers,
      bodyExcerpt: result.responseExcerpt,
      verdict: describeStatus(result.responseCode),
      resentAfterTokenRefresh: false,
    };
  } catch (error) {
    if (!(error instanceof SendFailure)) throw error;
    return { kind: "error", stage: "send", error: error.message, explanation: describeSendFailure(error.message, request.url, timeoutMs), durationMs: failureDuration(error) };
  }
}

function describeAuthorizeFailure(message: string): string {
  return `No request was sent: the credentials could not be obtained (${message}). A real attempt would fail the same way and be retried.`;
}

function shownRequest(request: OutgoingRequest, message: TestMessage): ShownRequest {
  const recorded = recordedRequest(request, message.site.bodyEncoding);
  return { method: recorded.method, url: redactUrl(recorded.url), headers: recorded.headers, body: request.body, bodyEncoding: recorded.bodyEncoding };
}

/** The values of the headers the shown request redacts, but for the site's own extra headers (shown on its page). */
function credentialValues(request: OutgoingRequest, message: TestMessage): string[] {
  const shown = recordedRequest(request, message.site.bodyEncoding).headers;
  // Plain extra headers are shown on the site page; secret ones are credentials like any other.
  const extra = new Set(message.site.headers.filter((h) => !h.secret).map((h) => h.name.toLowerCase()));
  return Object.entries(request.headers)
    .filter(([name]) => shown[name] === REDACTED && !extra.has(name))
    // "Bearer <token>": the token alone too, should a receiver echo only that.
    .flatMap(([, value]) => [value, /^\S+ (.+)$/.exec(value)?.[1] ?? value]);
}

/** The site's secret values (decrypted), header values that were redacted and tokens used: none may appear in a test's answer. */
function secretsOf(box: SecretBox, site: TestMessage["site"], sentHeaders: string[], tokens: string[]): string[] {
  const fields = [...authMethodModule(site.authMethod).secretFields, ...TOKEN_FIELDS];
  let opened: Record<string, unknown> = {};
  try {
    opened = openParams(site.authMethod, site.authParams, box);
  } catch {
    // Parameters that no longer decrypt cannot leak.
  }
  let secretHeaders: string[] = [];
  try {
    secretHeaders = Object.values(openSecretHeaders(site.headers, box));
  } catch {
    // As above.
  }
  const values = [...fields.map((f) => opened[f]), ...secretHeaders, ...sentHeaders, ...tokens].filter((v): v is string => typeof v === "string" && v.length >= 4);
  return [...new Set(values)];
}

/**
 * The answer with every secret cut out: a receiver that echoes the request (its Authorization
 * header, the JWT) into its answer must not reveal the credentials the request carried.
 * Header values shown as "[redacted]" are not secret; the shown request already replaced them.
 */
function scrubbed<T>(value: T, secretValues: string[]): T {
  if (secretValues.length === 0) return value;
  const scrub = (text: string) => secretValues.reduce((result, secret) => result.split(secret).join(REDACTED), text);
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? scrub(v) : v))) as T;
}
