import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db";
import { executePrepared } from "../db/prepared";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "../db/schema";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { parseOrThrow } from "../validation";
import { announceToLocalWorkers, DUE_CHANNEL, type Announce, type Transaction } from "./announce";
import { canonicalJson, contentHash, envelopeBody } from "./envelope";
import { messageInputSchema, type MessageInput, type ResolvedMessageInput } from "./message-input";

export interface EnqueuedMessage {
  id: string;
  status: "queued" | "resent" | "done" | "failed";
  /** False when the idempotency key named an existing message, which is returned instead. */
  created: boolean;
}

/**
 * Queues a message for a site: the message and its first attempt (`queued`) in one transaction,
 * announced to the engine before it commits (DESIGN §3). The same idempotency key for a site returns
 * the first message; reusing it for a different message is a conflict.
 */
export async function enqueue(db: Database, input: unknown, announce: Announce = announceToLocalWorkers): Promise<EnqueuedMessage> {
  const message = await withInternalCustomerId(db, parseOrThrow(messageInputSchema, input));
  if (announce === announceToLocalWorkers) return enqueueAnnouncingLocally(db, message);
  return db.transaction(async (tx) => {
    await checkSiteAndCustomer(tx, message);
    const [row] = await queueMessages(tx, [message], announce);
    if (!row) return existingMessage(tx, message);
    return { id: row.id, status: "queued", created: true };
  });
}

/** The input with its customer as our id: a `customerExternalId` is looked up (422 when nobody has it). */
async function withInternalCustomerId(db: Database, input: MessageInput): Promise<ResolvedMessageInput> {
  const { customerExternalId, customerId, ...rest } = input;
  if (customerExternalId === undefined) return { ...rest, customerId: customerId! };
  const [customer] = await db.select({ id: customers.id }).from(customers).where(eq(customers.externalId, customerExternalId));
  if (!customer) throw new ValidationError([{ path: ["customerExternalId"], message: "No such customer" }]);
  return { ...rest, customerId: customer.id };
}

/** A message to queue: validated input, or a resend of a stored message (which records its origin). */
export type QueuedMessageValues = Omit<ResolvedMessageInput, "payload"> & {
  payload: unknown;
  resentFromMessageId?: string;
  /** The workflow run and node that made the message. */
  workflowRunId?: string;
  workflowNodeId?: string;
};

/**
 * Inserts messages (`queued`) with their first attempts and announces each to the engine, in the
 * caller's transaction. A message whose idempotency key the site already used is skipped: only the
 * inserted ones are returned. The caller has checked the site is active and the customer exists.
 */
export async function queueMessages(tx: Transaction, messages: QueuedMessageValues[], announce: Announce) {
  if (messages.length === 0) return [];
  const rows = await tx.execute<{ id: string; site_id: string }>(sql`
    with ${messagesWithFirstAttempts(messages, new Date())}
    select id, site_id from message`);
  for (const row of rows) await announce(tx, { id: row.id, siteId: row.site_id });
  return rows.map((row) => ({ id: row.id, siteId: row.site_id }));
}

/**
 * enqueue() for the local workers in one statement, its own transaction: the site and customer
 * check, the message, its first attempt and the announcement (pg_notify, delivered on commit) — one
 * round trip instead of five (begin, check, insert, notify, commit) before an idle worker hears of it.
 * Prepared (its text is the same for every message): one Bind/Execute round trip and a cached plan
 * instead of a Parse/Describe round trip and planning the five CTEs on every call.
 */
async function enqueueAnnouncingLocally(db: Database, message: ResolvedMessageInput): Promise<EnqueuedMessage> {
  const [row] = await executePrepared<{ id: string | null; announced: number; name: string | null; status: string | null; customer_exists: boolean | null }>(db, sql`
    with site as (
      select s.name, s.status, exists (select 1 from ${customers} c where c.id = ${message.customerId}) as customer_exists
      from ${trustedSites} s where s.id = ${message.siteId} and s.workflow_id is null
    ), ${messagesWithFirstAttempts([message], new Date(), sql`exists (select 1 from site where status = 'active' and customer_exists)`)},
    announced as (
      select pg_notify(${DUE_CHANNEL}, '') from message
    )
    select (select id from message) as id, (select count(*) from announced)::int as announced,
      (select name from site) as name, (select status from site) as status, (select customer_exists from site) as customer_exists`);
  if (row?.id) return { id: row.id, status: "queued", created: true };
  refuseUnlessSendable(row?.status == null ? undefined : { name: row.name!, status: row.status, customerExists: row.customer_exists! });
  // The site and customer are fine: the idempotency key named an existing message.
  return existingMessage(db, message);
}

/**
 * The `message` and `attempt` CTEs: inserts the messages (`queued`, skipping one whose idempotency
 * key the site already used) and, for those inserted, their first attempts, in one statement.
 * `message` returns the inserted rows' id, site_id, customer_id and action.
 */
function messagesWithFirstAttempts(messages: QueuedMessageValues[], createdAt: Date, onlyIf: SQL = sql`true`): SQL {
  const at = createdAt.toISOString();
  const values = messages.map(
    (message) => sql`(${message.siteId}::uuid, ${message.customerId}::uuid, ${message.action}::text,
      ${JSON.stringify(message.payload)}::jsonb,
      ${contentHash(envelopeBody({ ...message, createdAt }))}::text, ${message.idempotencyKey ?? null}::text,
      ${message.resentFromMessageId ?? null}::uuid, ${message.workflowRunId ?? null}::uuid, ${message.workflowNodeId ?? null}::text)`,
  );
  return sql`message as (
      insert into ${webhookMessages} (site_id, customer_id, action, payload, content_hash, idempotency_key,
        resent_from_message_id, workflow_run_id, workflow_node_id, status, next_attempt_at, created_at)
      select v.*, 'queued', ${at}::timestamptz, ${at}::timestamptz
      from (values ${sql.join(values, sql`, `)}) v
      where ${onlyIf}
      on conflict (site_id, idempotency_key) where idempotency_key is not null do nothing
      returning id, site_id, customer_id, action
    ), attempt as (
      insert into ${webhookAttempts} (message_id, site_id, customer_id, action, attempt_no, status, created_at, scheduled_at)
      select id, site_id, customer_id, action, 1, 'queued', ${at}::timestamptz, ${at}::timestamptz from message
    )`;
}

/** Refuses a message to a missing (404) or not active (409) site, or about an unknown customer (422). */
export async function checkSiteAndCustomer(tx: Transaction, message: { siteId: string; customerId?: string }) {
  const [found] = await tx
    .select({
      name: trustedSites.name,
      status: trustedSites.status,
      customerExists: message.customerId
        ? sql<boolean>`exists (select 1 from ${customers} where ${customers.id} = ${message.customerId})`
        : sql<boolean>`true`,
    })
    .from(trustedSites)
    // A legacy node's site takes messages from its workflow only.
    .where(and(eq(trustedSites.id, message.siteId), isNull(trustedSites.workflowId)));
  refuseUnlessSendable(found);
}

function refuseUnlessSendable(found: { name: string; status: string; customerExists: boolean } | undefined) {
  if (!found) throw new NotFoundError("No such trusted site");
  if (found.status !== "active") {
    throw new ConflictError(`"${found.name}" is ${found.status === "draft" ? "a draft" : "inactive"}: activate it before sending messages to it`);
  }
  if (!found.customerExists) throw new ValidationError([{ path: ["customerId"], message: "No such customer" }]);
}

async function existingMessage(tx: Transaction | Database, message: ResolvedMessageInput): Promise<EnqueuedMessage> {
  const [existing] = await tx
    .select()
    .from(webhookMessages)
    .where(and(eq(webhookMessages.siteId, message.siteId), eq(webhookMessages.idempotencyKey, message.idempotencyKey!)));
  const same = (m: { action: string; customerId: string; payload: unknown }) =>
    canonicalJson([m.action, m.customerId, m.payload]);
  if (!existing || same(existing) !== same(message)) {
    throw new ConflictError("This idempotency key was already used for a different message to this site");
  }
  return { id: existing.id, status: existing.status, created: false };
}
