import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db";
import { customers, trustedSites, webhookAttempts, webhookMessages } from "../db/schema";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { parseOrThrow } from "../validation";
import { announceToLocalWorkers, type Announce, type Transaction } from "./announce";
import { canonicalJson, contentHash, envelopeBody } from "./envelope";
import { messageInputSchema, type MessageInput } from "./message-input";

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
  const message = parseOrThrow(messageInputSchema, input);
  return db.transaction(async (tx) => {
    await checkSiteAndCustomer(tx, message);
    const [row] = await queueMessages(tx, [message], announce);
    if (!row) return existingMessage(tx, message);
    return { id: row.id, status: "queued", created: true };
  });
}

/** A message to queue: validated input, or a resend of a stored message (which records its origin). */
export type QueuedMessageValues = Omit<MessageInput, "payload"> & { payload: unknown; resentFromMessageId?: string };

/**
 * Inserts messages (`queued`) with their first attempts and announces each to the engine, in the
 * caller's transaction. A message whose idempotency key the site already used is skipped: only the
 * inserted ones are returned. The caller has checked the site is active and the customer exists.
 */
export async function queueMessages(tx: Transaction, messages: QueuedMessageValues[], announce: Announce) {
  if (messages.length === 0) return [];
  const createdAt = new Date();
  const rows = await tx
    .insert(webhookMessages)
    .values(
      messages.map((message) => ({
        siteId: message.siteId,
        customerId: message.customerId,
        action: message.action,
        payload: message.payload,
        contentHash: contentHash(envelopeBody({ ...message, createdAt })),
        idempotencyKey: message.idempotencyKey,
        resentFromMessageId: message.resentFromMessageId,
        status: "queued" as const,
        nextAttemptAt: createdAt,
        createdAt,
      })),
    )
    .onConflictDoNothing({ target: [webhookMessages.siteId, webhookMessages.idempotencyKey] })
    .returning({
      id: webhookMessages.id,
      siteId: webhookMessages.siteId,
      customerId: webhookMessages.customerId,
      action: webhookMessages.action,
    });
  if (rows.length === 0) return [];
  await tx.insert(webhookAttempts).values(
    rows.map((row) => ({
      messageId: row.id,
      siteId: row.siteId,
      customerId: row.customerId,
      action: row.action,
      attemptNo: 1,
      status: "queued" as const,
      createdAt,
      scheduledAt: createdAt,
    })),
  );
  for (const row of rows) await announce(tx, { id: row.id, siteId: row.siteId });
  return rows;
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
    .where(eq(trustedSites.id, message.siteId));
  if (!found) throw new NotFoundError("No such trusted site");
  if (found.status !== "active") {
    throw new ConflictError(`"${found.name}" is ${found.status === "draft" ? "a draft" : "inactive"}: activate it before sending messages to it`);
  }
  if (!found.customerExists) throw new ValidationError([{ path: ["customerId"], message: "No such customer" }]);
}

async function existingMessage(tx: Transaction, message: MessageInput): Promise<EnqueuedMessage> {
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
