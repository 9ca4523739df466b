import { sql, type SQL } from "drizzle-orm";
import type { AuthMethod } from "../auth-methods/method-names";
import type { Database } from "../db";
import type { TrustedSite } from "../db/schema";
import { executePrepared } from "../db/prepared";
import { IN_FLIGHT } from "./policy/delivery-rules";
import { storedRetryPolicy, type RetryPolicy } from "./policy/retry-policy";
import { ASYNC_COMMIT } from "./reserve-send";
import type { StoredSigningSecret } from "../signing-secrets/stored-signing-secret";
import type { BodyEncoding, HttpMethod } from "../trusted-sites/request-shape";
import type { StoredClientCertificate } from "../trusted-sites/stored-client-certificate";
import type { StoredHeader } from "../trusted-sites/stored-headers";

/** A claimed message with what its attempt needs: its current attempt (read off the message) and the site as it is now. */
export interface ClaimedMessage {
  id: string;
  claimToken: string;
  action: string;
  customerId: string;
  payload: unknown;
  createdAt: Date;
  attempt: {
    /** The current attempt's number: its row is found by (message, number), see record-outcome.ts. */
    attemptNo: number;
    /** The previous holder reserved a send slot and never recorded a result. */
    interrupted: boolean;
    /** When that interrupted attempt was started; null when not interrupted. */
    startedAt: Date | null;
    /** The database restarted after that attempt started: its holder lost the database mid-attempt. */
    databaseRestarted: boolean;
  };
  site: ClaimedSite;
}

/** The site as an attempt uses it, read at claim time (or by Test connection) from its row. */
export interface ClaimedSite {
  id: string;
  name: string;
  url: string;
  contentType: string;
  httpMethod: HttpMethod;
  bodyEncoding: BodyEncoding;
  headers: StoredHeader[];
  clientCertificate: StoredClientCertificate | null;
  authMethod: AuthMethod;
  authParams: Record<string, unknown>;
  signingSecrets: StoredSigningSecret[];
  rps: number;
  threads: number;
  timeoutMs: number;
  /** Read at claim time, so a policy change applies from the next attempt of every message. */
  retryPolicy: RetryPolicy;
}

/** The columns of a trusted_sites row an attempt needs, as drizzle reads them (and the claim selects them). */
export type ClaimedSiteRow = Pick<
  TrustedSite,
  "id" | "name" | "url" | "contentType" | "httpMethod" | "bodyEncoding" | "headers" | "clientCertificate" | "authMethod" | "authParams" | "signingSecrets" | "rps" | "threads" | "timeoutMs" | "retryPolicy"
>;

/** The one mapping of a site row to what an attempt uses: the stored retry policy with its defaults filled in. */
export function claimedSite(row: ClaimedSiteRow): ClaimedSite {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    contentType: row.contentType,
    httpMethod: row.httpMethod,
    bodyEncoding: row.bodyEncoding,
    headers: row.headers,
    clientCertificate: row.clientCertificate ?? null,
    authMethod: row.authMethod,
    authParams: row.authParams,
    signingSecrets: row.signingSecrets,
    rps: row.rps,
    threads: row.threads,
    timeoutMs: row.timeoutMs,
    retryPolicy: storedRetryPolicy(row.retryPolicy),
  };
}

export const IN_FLIGHT_SQL = sql.raw(IN_FLIGHT.map((s) => `'${s}'`).join(", "));
const unclaimed = sql`(m.locked_until is null or m.locked_until <= clock_timestamp())`;
/**
 * A site that is not active pauses its messages (DESIGN §3): they are neither claimed nor counted as
 * due. A hashed subplan over the few sites, evaluated once per statement.
 */
export const siteSendable = sql`m.site_id not in (select id from trusted_sites where status <> 'active')`;

/**
 * (webhook_due_candidates, migration 0025, repeats `unclaimed`, `siteSendable` and this test for the
 * local worker's claim: a change here is a new migration there.)
 *
 * At a site that delivers in order per customer (DESIGN §3), a message is next in its customer's
 * line: no other in-flight message of the same site and customer was created before it, and none is
 * claimed (being sent) now. Other sites pass on the first test, a hashed subplan over the few
 * ordered sites; the line is looked up in `webhook_messages_customer_line_idx` only for theirs.
 */
export const nextInLine = sql`(m.site_id not in (select id from trusted_sites where ordered_per_customer)
  or not exists (
    select 1 from webhook_messages e
    where e.site_id = m.site_id and e.customer_id = m.customer_id and e.status in (${IN_FLIGHT_SQL}) and e.id <> m.id
      and ((e.created_at, e.id) < (m.created_at, m.id) or e.locked_until > clock_timestamp())))`;

/**
 * The local worker's claim's choice (claim-and-reserve.ts), as the CTEs up to `chosen` (the ids to
 * lock, at most `limit`): due messages, oldest due first, and per site no more than its threads minus
 * what is busy there: what this worker already sends there (`inFlight`), or the site's thread slots
 * held now by any worker less those this worker hands on, whichever is more (more would only wait
 * here while other workers could send them). Messages of sites that are not active are paused: never
 * chosen; at a site that delivers in order per customer only the next in each customer's line is a
 * candidate; `fullSites` are not even looked at; `holding` (messages this worker is still on) are
 * never chosen again by it, even once their claim has lapsed (the database was away longer than a
 * claim lasts), so it records the outcome it holds itself. Candidates are read without locking
 * (locking hundreds of rows to keep a few would write every one of them); only the chosen rows are
 * locked (see claimableNow), skipping those another transaction is claiming, so workers never claim
 * the same one.
 */
export function dueChoice(
  limit: number,
  inFlight: Record<string, number>,
  fullSites: string[],
  holding: string[],
  /** Per site, the slots this worker holds for answered sends whose results are still being recorded (claim-and-reserve.ts hands them on). */
  handedOn: Record<string, number> = {},
): SQL {
  return sql`with candidates as (
          -- Due (by now(), the statement's start, a bound the due index range-scans in order, stopping at
          -- the cap), unclaimed, sendable and next in line: migration 0025 (a function, so that its plan
          -- is that ordered scan whatever the table's statistics were when this statement was prepared).
          select c.id, c.site_id, c.next_attempt_at
          from webhook_due_candidates(${limit + 20}, ${uuidArray(fullSites)}::uuid[], ${uuidArray(holding)}::uuid[]) c
        ), room as (
          -- Per candidate site (once, not per candidate): its threads less what is busy, which is at
          -- least this worker's own sends there and at least the slots any worker holds now, less
          -- those this worker holds for answered sends (free to hand on). Two workers on one site
          -- each claiming all its threads would leave half their claims waiting for a thread,
          -- asking again and again.
          select s.id, s.threads - greatest(coalesce((${JSON.stringify(inFlight)}::jsonb ->> s.id::text)::int, 0),
            (select count(*) from site_leases l where l.site_id = s.id and l.expires_at > clock_timestamp())::int
              - coalesce((${JSON.stringify(handedOn)}::jsonb ->> s.id::text)::int, 0)) as room
          from trusted_sites s where s.id = any(array(select distinct site_id from candidates))
        ), ranked as (
          select c.id, c.next_attempt_at,
            row_number() over (partition by c.site_id order by c.next_attempt_at) as n, r.room
          from candidates c join room r on r.id = c.site_id
        ), chosen as (
          select id from ranked where n <= room order by next_attempt_at limit ${limit}
        )`;
}

/**
 * What a chosen message (alias m) must still be when it is locked: "not done or failed", not "in
 * flight": the same rows, but no partial index on in-flight messages matches, so the lookup goes
 * through the primary key rather than scanning one.
 */
export const claimableNow = sql`m.status not in ('done', 'failed') and ${unclaimed} and ${siteSendable}`;

/** Claims one message, whatever its due time (the Inngest function decides when); null if finished, held, paused or waiting in its customer's line. */
export async function claimMessage(db: Database, messageId: string, claimToken: string, ttlMs: number): Promise<ClaimedMessage | null> {
  const [claimed] = await claim(
    db,
    sql`select m.id from webhook_messages m
        where m.id = ${messageId} and m.status in (${IN_FLIGHT_SQL}) and ${unclaimed} and ${siteSendable} and ${nextInLine}
        for update skip locked`,
    claimToken,
    ttlMs,
  );
  return claimed ?? null;
}

async function claim(db: Database, candidates: SQL, claimToken: string, ttlMs: number): Promise<ClaimedMessage[]> {
  const rows = await executePrepared<ClaimRow>(db, sql`
    with claimed as (
      update webhook_messages m
      set locked_until = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond', locked_by = ${claimToken}
      -- An array, so both lookups go through the primary key (as a join the planner may read the whole table).
      where m.id = any(array(${candidates}))
      returning m.id, m.site_id, m.customer_id, m.action, m.payload, m.created_at, m.attempts, m.attempt_started_at
    )
    ${claimedRows()}`);
  return rows.map((r) => claimedMessageOf(r, claimToken));
}

/**
 * The claim statement's answer, read from its `claimed` CTE (the updated messages' id, site_id,
 * customer_id, action, payload, created_at, and attempts and attempt_started_at as they were before
 * the claim),
 * with each one's current attempt and its site's columns; `extra` adds columns (after a comma),
 * `from` joins.
 */
export function claimedRows(extra: SQL = sql``, from: SQL = sql``): SQL {
  return sql`
    -- A claim lost to a database crash only means the message is claimed again.
    select ${ASYNC_COMMIT} as async_commit, c.id, c.customer_id, c.action, c.payload,
      extract(epoch from c.created_at)::float8 * 1000 as created_ms,
      -- The current attempt is read off the message, not its row (which would mean probing every day
      -- partition from the message's day on): attempts counts those started, and one started and not
      -- yet recorded is marked (attempt_started_at, reserve-send.ts); otherwise the next is queued.
      c.attempts + case when c.attempt_started_at is null then 1 else 0 end as attempt_no,
      extract(epoch from c.attempt_started_at)::float8 * 1000 as started_ms,
      coalesce(pg_postmaster_start_time() > c.attempt_started_at, false) as database_restarted,
      -- The site's columns under the names claimedSite reads (its id as site_id: the message's is id).
      s.id as site_id, s.name, s.url, s.content_type as "contentType", s.http_method as "httpMethod", s.body_encoding as "bodyEncoding",
      s.headers, s.client_certificate as "clientCertificate", s.auth_method as "authMethod", s.auth_params as "authParams",
      s.signing_secrets as "signingSecrets", s.rps, s.threads, s.timeout_ms as "timeoutMs", s.retry_policy as "retryPolicy"${extra}
    from claimed c
    join trusted_sites s on s.id = c.site_id
    ${from}`;
}

/** A row of claimedRows as the attempt uses it. */
export function claimedMessageOf(r: ClaimRow, claimToken: string): ClaimedMessage {
  return {
    id: r.id,
    claimToken,
    action: r.action,
    customerId: r.customer_id,
    payload: r.payload,
    createdAt: new Date(r.created_ms),
    attempt: {
      attemptNo: Number(r.attempt_no),
      interrupted: r.started_ms != null,
      startedAt: r.started_ms == null ? null : new Date(r.started_ms),
      databaseRestarted: r.database_restarted,
    },
    site: claimedSite({ ...r, id: r.site_id }),
  };
}

/** A row of the claim statement: the message, its current attempt's number and start, and its site's columns. */
export type ClaimRow = Omit<ClaimedSiteRow, "id"> & {
  id: string;
  customer_id: string;
  action: string;
  payload: unknown;
  created_ms: number;
  attempt_no: number;
  /** When the current attempt was started (epoch ms), null when it was not: set means it was interrupted. */
  started_ms: number | null;
  database_restarted: boolean;
  site_id: string;
};

/** Keeps a live worker's claims from expiring while it waits for a slot or a response. */
export async function extendClaims(db: Database, claimToken: string, messageIds: string[], ttlMs: number): Promise<void> {
  if (messageIds.length === 0) return;
  await executePrepared(db, sql`
    update webhook_messages set locked_until = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond'
    where locked_by = ${claimToken} and id = any(${uuidArray(messageIds)}::uuid[])`);
}

/** Gives a claimed message back untouched, due again at `dueAt` (as it was when omitted). */
export async function releaseClaim(db: Database, message: Pick<ClaimedMessage, "id" | "claimToken">, dueAt?: Date): Promise<void> {
  await executePrepared(db, sql`
    update webhook_messages
    set locked_until = null, locked_by = null, next_attempt_at = coalesce(${dueAt?.toISOString() ?? null}::timestamptz, next_attempt_at)
    where id = ${message.id} and locked_by = ${message.claimToken}`);
}

/**
 * The next time a message falls due after `after` (default: now), served by the due index; paused ones
 * never do. Rounded up to the ms, so a wake-up at it finds the message due.
 */
export async function nextDueAt(db: Database, after?: Date): Promise<Date | null> {
  const [row] = await executePrepared<{ due_ms: number | null }>(db, sql`
    select ceil(extract(epoch from min(next_attempt_at))::float8 * 1000) as due_ms from webhook_messages m
    where m.status in (${IN_FLIGHT_SQL}) and m.next_attempt_at > coalesce(${after?.toISOString() ?? null}::timestamptz, clock_timestamp())
      and ${siteSendable}`);
  return row?.due_ms == null ? null : new Date(row.due_ms);
}

/** A PostgreSQL array literal of ids that are known to be UUIDs (they come from the database). */
export function uuidArray(ids: string[]): string {
  return `{${ids.join(",")}}`;
}

/**
 * Gives back a message whose current attempt was marked started (reserveSend) but never sent, as if
 * it had never begun: no attempt is used up. `dueAt`, when given, is when it is due again.
 */
export async function releaseUnsent(db: Database, message: Pick<ClaimedMessage, "id" | "claimToken" | "attempt">, dueAt?: Date): Promise<void> {
  await executePrepared(db, sql`
    update webhook_messages set locked_until = null, locked_by = null, attempts = ${message.attempt.attemptNo - 1}, attempt_started_at = null,
      next_attempt_at = coalesce(${dueAt?.toISOString() ?? null}::timestamptz, next_attempt_at)
    where id = ${message.id} and locked_by = ${message.claimToken}`);
}
