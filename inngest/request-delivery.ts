import { inngest } from "./client";
import { messageRequested } from "./events";

/** How long the trigger waits for Inngest to take the event; the SDK retries within this. */
const SEND_TIMEOUT_MS = 5_000;

/**
 * Asks Inngest to deliver a committed message. Never throws: a message whose event cannot be sent
 * stays queued in the database, and the sweeper (sweep-stranded-messages) announces it later.
 */
export async function requestDelivery(messages: { id: string }[]): Promise<void> {
  if (messages.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
  });
  try {
    await Promise.race([inngest.send(messages.map((m) => messageRequested.create({ messageId: m.id }))), timeout]);
  } catch (error) {
    // The SDK's messages name what is missing or unreachable, never a key's value.
    const reason = String((error as Error)?.message ?? error).split("\n")[0];
    const which = messages.length === 1 ? `message ${messages[0]!.id} stays` : `${messages.length} messages stay`;
    console.warn(`[webhook inngest] ${which} queued for the sweeper: sending the event failed (${reason})`);
  } finally {
    clearTimeout(timer);
  }
}
