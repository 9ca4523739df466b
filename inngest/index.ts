import { continueWorkflowRuns } from "./continue-workflow-runs";
import { deliverWebhook } from "./deliver-webhook";
import { purgeWebhookLogs } from "./purge-webhook-logs";
import { runWorkflow } from "./run-workflow";
import { sweepStrandedMessages } from "./sweep-stranded-messages";

/** Every function served at /api/inngest. */
export const functions = [deliverWebhook, sweepStrandedMessages, purgeWebhookLogs, runWorkflow, continueWorkflowRuns];
