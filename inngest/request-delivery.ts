import { inngest } from "./client";
import { messageFinishedEvent, messageRequested } from "./events";

/** How long the trigger waits for Inngest to take the event; the SDK retries within this. */
const SEND_TIMEOUT_MS = 5_000;

/**
 * Asks Inngest to deliver a committed message. Never throws: a message whose event cannot be sent
 * stays queued in the database, and the sweeper (sweep-stranded-messages) announces it later.
 */
export async function requestDelivery(messages: { id: string }[]): Promise<void> {
  if (messages.length === 0) return;
  const which = messages.length === 1 ? `message ${messages[0]!.id} stays` : `${messages.length} messages stay`;
  await sendOrWarn(messages.map((m) => messageRequested.create({ messageId: m.id })), `${which} queued for the sweeper`);
}

/** Tells Inngest a message ended (cancelled). Never throws: the sweeper continues the runs waiting for it. */
export async function announceMessageFinished(messageId: string): Promise<void> {
  await sendOrWarn([messageFinishedEvent(messageId)], `runs waiting for message ${messageId} continue at the next sweep`);
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
