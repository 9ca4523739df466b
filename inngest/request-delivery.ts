import type { AnnouncedMessage } from "@/lib/delivery/engine";
import { inngest } from "./client";
import { messageFinishedEvent, messageRequestedEvent } from "./events";

/** How long the trigger waits for Inngest to take one request of events; the SDK retries within this. */
const SEND_TIMEOUT_MS = 5_000;

/**
 * Inngest's event API takes at most 5,000 events and (Inngest Cloud's free plan) 256 KiB per
 * request; a chunk stays well inside both, counting what the SDK adds to each event (ts, meta).
 */
export const EVENTS_PER_REQUEST = 1_000;
export const EVENT_REQUEST_BYTES = 200 * 1024;
const SDK_ADDED_BYTES = 64;

/**
 * Asks Inngest to deliver committed messages (up to the 10,000 of a resend-failed), in requests
 * within the event API's limits. Never throws: a message whose event cannot be sent stays queued in
 * the database, and the sweeper (sweep-stranded-messages) announces it later.
 */
export async function requestDelivery(messages: AnnouncedMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const occasion = `again-${Date.now()}`;
  const events = messages.map((m) => messageRequestedEvent(m.id, { attemptNo: m.attemptNo, occasion: m.again ? occasion : undefined }));
  await Promise.all(
    eventChunks(events).map((chunk) => {
      const which = chunk.length === 1 ? `message ${chunk[0]!.data.messageId} stays` : `${chunk.length} messages stay`;
      return sendOrWarn(chunk, `${which} queued for the sweeper`);
    }),
  );
}

/** Tells Inngest a message ended (cancelled). Never throws: the sweeper continues the runs waiting for it. */
export async function announceMessageFinished(messageId: string): Promise<void> {
  await sendOrWarn([messageFinishedEvent(messageId)], `runs waiting for message ${messageId} continue at the next sweep`);
}

/** Splits events into requests of at most EVENTS_PER_REQUEST events and EVENT_REQUEST_BYTES of JSON. */
export function eventChunks<E extends object>(events: E[]): E[][] {
  const chunks: E[][] = [];
  let chunk: E[] = [];
  let bytes = 2;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event)) + SDK_ADDED_BYTES + 1;
    if (chunk.length > 0 && (chunk.length === EVENTS_PER_REQUEST || bytes + size > EVENT_REQUEST_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 2;
    }
    chunk.push(event);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

async function sendOrWarn(events: Parameters<typeof inngest.send>[0], consequence: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
  });
  try {
    await Promise.race([inngest.send(events), timeout]);
  } catch (error) {
    // The SDK's messages name what is missing or unreachable, never a key's value.
    const reason = String((error as Error)?.message ?? error).split("\n")[0];
    console.warn(`[webhook inngest] ${consequence}: sending the event failed (${reason})`);
  } finally {
    clearTimeout(timer);
  }
}
