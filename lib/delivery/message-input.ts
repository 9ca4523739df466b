import { z } from "zod";

/** The body of `POST /api/webhooks/messages`, the Webhook message node's trigger. */
export const messageInputSchema = z.object({
  siteId: z.uuid({ error: "Choose a trusted site" }),
  action: z.string({ error: "Action is required" }).trim().min(1, "Action is required").max(200, "Action is at most 200 characters"),
  customerId: z.uuid({ error: "Customer must be a customer id" }),
  payload: z.json({ error: "Payload must be JSON" }).refine((v) => v !== undefined, "Payload is required"),
  idempotencyKey: z.string().trim().min(1).max(200, "Idempotency key is at most 200 characters").optional(),
});

export type MessageInput = z.output<typeof messageInputSchema>;
