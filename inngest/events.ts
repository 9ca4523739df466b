import { eventType } from "inngest";
import { z } from "zod";
import { customerEventSchema } from "@/lib/workflows/event-input";

/** A message is due for delivery: sent after the message is committed, and by the sweeper for stranded ones. */
export const messageRequested = eventType("webhook/message.requested", {
  schema: z.object({
    messageId: z.uuid(),
    /** The attempt the sender believes is current; it only names the run's steps. */
    attemptNo: z.number().int().min(1).optional(),
  }),
});

/**
 * A message has ended (done or failed): sent by deliver-webhook after the step that recorded the
 * outcome, and by the cancel route. Its id is the message's, so repeats within Inngest's de-dup
 * window start no second run.
 */
export const messageFinished = eventType("webhook/message.finished", {
  schema: z.object({ messageId: z.uuid() }),
});

/** The same event as `POST /api/events` takes, for producers that send it to Inngest directly. */
export const customerEventReceived = eventType("customer/event.received", {
  // Inngest takes no schema whose input and output types differ: `data` is defaulted when the run reads it.
  schema: customerEventSchema.extend({ data: customerEventSchema.shape.data.unwrap().optional() }),
});

/** The event announcing that a message ended, with the id Inngest de-duplicates on. */
export function messageFinishedEvent(messageId: string) {
  return messageFinished.create({ messageId }, { id: `message-finished-${messageId}` });
}
