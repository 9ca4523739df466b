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

/**
 * The event asking for a message's delivery, with the id Inngest de-duplicates on for 24 h: the
 * message and its current attempt, so a send the SDK or a producer repeats starts no second run.
 * A message announced again for the same attempt (its run ended while the site was paused, or the
 * sweeper found it stranded) names the occasion too: with the bare id its new event would be taken
 * for a repeat of the first and dropped, leaving the message undelivered for a day.
 */
export function messageRequestedEvent(messageId: string, options: { attemptNo?: number; occasion?: string } = {}) {
  const attemptNo = options.attemptNo ?? 1;
  const id = `message-requested-${messageId}-${attemptNo}${options.occasion ? `-${options.occasion}` : ""}`;
  return messageRequested.create({ messageId, ...(options.attemptNo ? { attemptNo } : {}) }, { id });
}

/** The event announcing that a message ended, with the id Inngest de-duplicates on. */
export function messageFinishedEvent(messageId: string) {
  return messageFinished.create({ messageId }, { id: `message-finished-${messageId}` });
}
