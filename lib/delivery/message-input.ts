import { z } from "zod";

/**
 * The body of `POST /api/webhooks/messages`, the Webhook message node's trigger. The customer is
 * named by exactly one of `customerId` (ours) or `customerExternalId` (the platform's own id, as
 * customer events name it); enqueue() resolves the second to the first.
 */
export const messageInputSchema = z
  .object({
    siteId: z.uuid({ error: "Choose a trusted site" }),
    action: z.string({ error: "Action is required" }).trim().min(1, "Action is required").max(200, "Action is at most 200 characters"),
    customerId: z.uuid({ error: "Customer must be a customer id" }).optional(),
    customerExternalId: z
      .string({ error: "customerExternalId must be a string (the platform's customer id)" })
      .trim()
      .min(1, "customerExternalId is empty")
      .max(200, "A customer id is at most 200 characters")
      .optional(),
    payload: z.json({ error: "Payload must be JSON" }).refine((v) => v !== undefined, "Payload is required"),
    idempotencyKey: z.string().trim().min(1).max(200, "Idempotency key is at most 200 characters").optional(),
  })
  // `when`: reported beside the other fields' issues, not only once they are all valid.
  .refine((input) => input.customerId !== undefined || input.customerExternalId !== undefined, {
    path: ["customerId"],
    message: "Name the customer: customerId (ours) or customerExternalId (the platform's)",
    when: isObject,
  })
  .refine((input) => input.customerId === undefined || input.customerExternalId === undefined, {
    path: ["customerExternalId"],
    message: "Give customerId or customerExternalId, not both",
    when: isObject,
  });

function isObject(payload: { value: unknown }): boolean {
  return typeof payload.value === "object" && payload.value !== null;
}

export type MessageInput = z.output<typeof messageInputSchema>;

/** A message input whose customer is our internal id. */
export type ResolvedMessageInput = Omit<MessageInput, "customerId" | "customerExternalId"> & { customerId: string };
