import { eventType } from "inngest";
import { z } from "zod";

/** A message is due for delivery: sent after the message is committed, and by the sweeper for stranded ones. */
export const messageRequested = eventType("webhook/message.requested", {
  schema: z.object({
    messageId: z.uuid(),
    /** The attempt the sender believes is current; it only names the run's steps. */
    attemptNo: z.number().int().min(1).optional(),
  }),
});
