import { deliverWebhook } from "./deliver-webhook";
import { purgeWebhookLogs } from "./purge-webhook-logs";
import { sweepStrandedMessages } from "./sweep-stranded-messages";

/** Every function served at /api/inngest. */
export const functions = [deliverWebhook, sweepStrandedMessages, purgeWebhookLogs];
