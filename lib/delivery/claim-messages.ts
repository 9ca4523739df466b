import { sql, type SQL } from "drizzle-orm";
import type { AuthMethod } from "../auth-methods/method-names";
import type { Database } from "../db";
import { attemptsNotBefore } from "../db/attempt-partitions";
import { executePrepared } from "../db/prepared";
import { IN_FLIGHT } from "./delivery-rules";
import { storedRetryPolicy, type RetryPolicy } from "./retry-policy";
import { ASYNC_COMMIT } from "./reserve-send";
import type { StoredSigningSecret } from "../signing-secrets/stored-signing-secret";
import type { BodyEncoding, HttpMethod } from "../trusted-sites/request-shape";
import type { StoredClientCertificate } from "../trusted-sites/stored-client-certificate";
import type { StoredHeader } from "../trusted-sites/stored-headers";

/** A claimed message with what its attempt needs: the current attempt row and the site as it is now. */
export interface ClaimedMessage {
  id: string;
  claimToken: string;
  action: string;
  customerId: string;
  payload: unknown;
  createdAt: Date;
  attempt: {
    id: number;
    attemptNo: number;
    /** The previous holder reserved a send slot and never recorded a result. */
    interrupted: boolean;
    /** The database restarted after that attempt started: its holder lost the database mid-attempt. */
    databaseRestarted: boolean;
  };
  site: {
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
 * Claims up to `limit` due messages for `claimToken` until `ttlMs` from now, oldest due first, and
 * per site no more than its threads minus what this worker already sends there (`inFlight`): more
 * would only wait here while other workers could send them. Rows another transaction is claiming are
 * skipped, not waited for, so workers never claim the same one; rows looked at but not taken are
 * unlocked when the statement ends. Messages of sites that are not active are paused: never claimed.
 * At a site that delivers in order per customer only the next in each customer's line is a candidate.
 */
export function claimDueMessages(
  db: Database,
  claimToken: string,
  limit: number,
  ttlMs: number,
  inFlight: Record<string, number> = {},
  /** Sites with no room left here: not even looked at. */
  fullSites: string[] = [],
  /**
   * Messages this worker is still on: never claimed again by it, even once their claim has lapsed
   * (the database was away longer than a claim lasts), so it records the outcome it holds itself.
   */
  holding: string[] = [],
): Promise<ClaimedMessage[]> {
  return claim(
    db,
    // Candidates are read without locking (locking hundreds of rows to keep a few would write
    // every one of them); only the chosen rows are locked, skipping those another worker took.
    sql`with candidates as (
          select m.id, m.site_id, m.next_attempt_at from webhook_messages m
          where m.status in (${IN_FLIGHT_SQL}) and m.next_attempt_at <= clock_timestamp() and ${unclaimed}
            and m.site_id <> all(${uuidArray(fullSites)}::uuid[]) and m.id <> all(${uuidArray(holding)}::uuid[])
            and ${siteSendable} and ${nextInLine}
          order by m.next_attempt_at limit ${limit * 4 + 50}
        ), ranked as (
          select c.id, c.next_attempt_at,
            row_number() over (partition by c.site_id order by c.next_attempt_at) as n,
            s.threads - coalesce((${JSON.stringify(inFlight)}::jsonb ->> s.id::text)::int, 0) as room
          from candidates c join trusted_sites s on s.id = c.site_id
        ), chosen as (
          select id from ranked where n <= room order by next_attempt_at limit ${limit}
        )
        select m.id from webhook_messages m
        where m.id = any(array(select id from chosen)) and m.status in (${IN_FLIGHT_SQL}) and ${unclaimed} and ${siteSendable}
        for update of m skip locked`,
    claimToken,
    ttlMs,
  );
}

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
  const rows = await executePrepared<Record<string, unknown>>(db, sql`
    with claimed as (
      update webhook_messages m
      set locked_until = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond', locked_by = ${claimToken}
      -- An array, so both lookups go through the primary key (as a join the planner may read the whole table).
      where m.id = any(array(${candidates}))
      returning m.id, m.site_id, m.customer_id, m.action, m.payload, m.created_at
    )
    -- A claim lost to a database crash only means the message is claimed again.
    select ${ASYNC_COMMIT} as async_commit, c.id, c.customer_id, c.action, c.payload,
      extract(epoch from c.created_at)::float8 * 1000 as created_ms,
      a.id as attempt_id, a.attempt_no, (a.started_at is not null) as interrupted,
      coalesce(pg_postmaster_start_time() > a.started_at, false) as database_restarted,
      s.id as site_id, s.name as site_name, s.url, s.content_type, s.http_method, s.body_encoding, s.headers, s.client_certificate, s.auth_method, s.auth_params, s.signing_secrets, s.rps, s.threads, s.timeout_ms, s.retry_policy
    from claimed c
    join trusted_sites s on s.id = c.site_id
    join lateral (
      -- No attempt is older than its message: the bound skips the day partitions before it.
      select id, attempt_no, started_at from webhook_attempts
      where message_id = c.id and created_at >= c.created_at order by attempt_no desc limit 1
    ) a on true`);
  return rows.map((r) => ({
    id: r.id as string,
    claimToken,
    action: r.action as string,
    customerId: r.customer_id as string,
    payload: r.payload,
    createdAt: new Date(r.created_ms as number),
    attempt: {
      id: Number(r.attempt_id),
      attemptNo: Number(r.attempt_no),
      interrupted: r.interrupted as boolean,
      databaseRestarted: r.database_restarted as boolean,
    },
    site: {
      id: r.site_id as string,
      name: r.site_name as string,
      url: r.url as string,
      contentType: r.content_type as string,
      httpMethod: r.http_method as HttpMethod,
      bodyEncoding: r.body_encoding as BodyEncoding,
      headers: r.headers as StoredHeader[],
      clientCertificate: (r.client_certificate as StoredClientCertificate | null) ?? null,
      authMethod: r.auth_method as AuthMethod,
      authParams: r.auth_params as Record<string, unknown>,
      signingSecrets: r.signing_secrets as StoredSigningSecret[],
      rps: Number(r.rps),
      threads: Number(r.threads),
      timeoutMs: Number(r.timeout_ms),
      retryPolicy: storedRetryPolicy(r.retry_policy),
    },
  }));
}

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
function uuidArray(ids: string[]): string {
  return `{${ids.join(",")}}`;
}

/**
 * Gives back a message whose current attempt was marked started (reserveSend) but never sent, as if
 * it had never begun: no attempt is used up. `dueAt`, when given, is when it is due again.
 */
export async function releaseUnsent(
  db: Database,
  message: Pick<ClaimedMessage, "id" | "claimToken" | "attempt"> & Partial<Pick<ClaimedMessage, "createdAt">>,
  dueAt?: Date,
): Promise<void> {
  await executePrepared(db, sql`
    with released as (
      update webhook_messages set locked_until = null, locked_by = null, attempts = ${message.attempt.attemptNo - 1},
        next_attempt_at = coalesce(${dueAt?.toISOString() ?? null}::timestamptz, next_attempt_at)
      where id = ${message.id} and locked_by = ${message.claimToken}
      returning id
    )
    update webhook_attempts set started_at = null
    where id = ${message.attempt.id} and created_at >= ${attemptsNotBefore([message.createdAt])}::timestamptz and exists (select 1 from released)`);
}
