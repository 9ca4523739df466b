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
    const createdAt = new Date();
    const body = envelopeBody({ ...message, createdAt });
    const [row] = await tx
      .insert(webhookMessages)
      .values({
        siteId: message.siteId,
        customerId: message.customerId,
        action: message.action,
        payload: message.payload,
        contentHash: contentHash(body),
        idempotencyKey: message.idempotencyKey,
        status: "queued",
        nextAttemptAt: createdAt,
        createdAt,
      })
      .onConflictDoNothing({ target: [webhookMessages.siteId, webhookMessages.idempotencyKey] })
      .returning({ id: webhookMessages.id });
    if (!row) return existingMessage(tx, message);
    await tx.insert(webhookAttempts).values({
      messageId: row.id,
      siteId: message.siteId,
      customerId: message.customerId,
      action: message.action,
      attemptNo: 1,
      status: "queued",
      createdAt,
      scheduledAt: createdAt,
    });
    await announce(tx, { id: row.id, siteId: message.siteId });
    return { id: row.id, status: "queued", created: true };
  });
}

async function checkSiteAndCustomer(tx: Transaction, message: MessageInput) {
  const [found] = await tx
    .select({
      name: trustedSites.name,
      status: trustedSites.status,
      customerExists: sql<boolean>`exists (select 1 from ${customers} where ${customers.id} = ${message.customerId})`,
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
