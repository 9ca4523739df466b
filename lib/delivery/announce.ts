import { sql } from "drizzle-orm";
import type { Database } from "../db";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * Tells the delivery engine that a message is due. Called inside the transaction that writes the
 * message, so the engine hears of it only if the message exists (and always if it does).
 */
export type Announce = (tx: Transaction, message: { id: string; siteId: string }) => Promise<void>;

/** The channel local workers LISTEN on; a notification is delivered only when the transaction commits. */
export const DUE_CHANNEL = "webhook_messages_due";

export const announceToLocalWorkers: Announce = async (tx) => {
  await tx.execute(sql`select pg_notify(${DUE_CHANNEL}, '')`);
};
