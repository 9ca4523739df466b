import { z } from "zod";
import { eventNameSchema } from "./definition";

/** The body of `POST /api/events` and of the Inngest event `customer/event.received`: a customer event. */
export const customerEventSchema = z.object({
  event: eventNameSchema,
  customer: z.object({
    id: z.string({ error: "The customer's id (the platform's own) is required" }).trim().min(1, "The customer's id is required").max(200, "A customer id is at most 200 characters"),
    name: z.string().trim().min(1).max(200, "A name is at most 200 characters").optional(),
    email: z.email("Enter a valid email address").max(320).optional(),
  }),
  data: z.record(z.string(), z.json()).default({}),
  idempotencyKey: z.string().trim().min(1).max(200, "Idempotency key is at most 200 characters").optional(),
});
export type CustomerEvent = z.output<typeof customerEventSchema>;

/** The body of `POST /api/workflows/{id}/test-runs` (Send test event): one of our customers and sample data. */
export const testEventSchema = z.object({
  customerId: z.uuid({ error: "Choose a customer" }),
  data: z.record(z.string(), z.json()).default({}),
});
export type TestEvent = z.output<typeof testEventSchema>;
