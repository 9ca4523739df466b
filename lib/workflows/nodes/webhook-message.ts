import { eq } from "drizzle-orm";
import { trustedSites } from "../../db/schema";
import { queueMessages } from "../../delivery/enqueue";
import type { FieldIssue } from "../../errors";
import { renderTemplate, TemplateError, type TemplateJson } from "../template";
import type { webhookMessageConfigSchema } from "./kinds";
import type { NodeKindModule } from "./types";

/**
 * Sends a message to an active trusted site: success once it is delivered (done), failure once it
 * failed after its retries, or at once when it cannot be queued (site inactive or gone, template
 * that does not render for this event).
 */
export const webhookMessageNode: NodeKindModule<typeof webhookMessageConfigSchema> = {
  async check(config, { tx }) {
    const issues: FieldIssue[] = [];
    const [site] = await tx.select({ status: trustedSites.status, name: trustedSites.name }).from(trustedSites).where(eq(trustedSites.id, config.siteId));
    if (!site) issues.push({ path: ["siteId"], message: "No such trusted site: choose an active one" });
    else if (site.status !== "active") issues.push({ path: ["siteId"], message: `"${site.name}" is not active: choose an active trusted site` });
    return issues;
  },
  async run(config, { tx, runId, nodeId, scope, announce }) {
    const [site] = await tx.select({ status: trustedSites.status, name: trustedSites.name }).from(trustedSites).where(eq(trustedSites.id, config.siteId));
    if (!site) return { output: "failure", reason: "The trusted site was deleted" };
    if (site.status !== "active") return { output: "failure", reason: `The trusted site "${site.name}" is ${site.status}` };
    let payload: TemplateJson;
    try {
      payload = renderTemplate(config.payload as TemplateJson, scope, ["payload"]);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { output: "failure", reason: `The payload template did not render at ${error.path.join(".")}: ${error.message}` };
    }
    const [queued] = await queueMessages(
      tx,
      [
        {
          siteId: config.siteId,
          customerId: scope.customer.id,
          action: config.action || scope.workflow.event,
          payload,
          // A run retried after a crash queues its node's message once.
          idempotencyKey: `workflow-run:${runId}:${nodeId}`,
          workflowRunId: runId,
          workflowNodeId: nodeId,
        },
      ],
      announce,
    );
    // The node's run row is written in the same transaction, so a second message for it cannot exist.
    if (!queued) throw new Error("a workflow node queued its message twice");
    return { waitForMessage: queued.id };
  },
};
