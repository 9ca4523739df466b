import { and, eq, isNull } from "drizzle-orm";
import { trustedSites } from "../../db/schema";
import { queueMessages } from "../../delivery/enqueue";
import type { FieldIssue } from "../../errors";
import { renderTemplate, TemplateError, type TemplateJson } from "../template";
import type { webhookMessageConfigSchema } from "./kinds";
import type { NodeKindModule, NodeOutcome, NodeRunContext } from "./types";

/**
 * Sends a message to an active trusted site: success once it is delivered (done), failure once it
 * failed after its retries, or at once when it cannot be queued (site inactive or gone, template
 * that does not render for this event).
 */
export const webhookMessageNode: NodeKindModule<typeof webhookMessageConfigSchema> = {
  async check(config, { tx }) {
    const issues: FieldIssue[] = [];
    const site = await listedSite(config.siteId, { tx });
    if (!site) issues.push({ path: ["siteId"], message: "No such trusted site: choose an active one" });
    else if (site.status !== "active") issues.push({ path: ["siteId"], message: `"${site.name}" is not active: choose an active trusted site` });
    return issues;
  },
  async run(config, ctx) {
    const site = await listedSite(config.siteId, ctx);
    if (!site) return { output: "failure", reason: "The trusted site was deleted" };
    if (site.status !== "active") return { output: "failure", reason: `The trusted site "${site.name}" is ${site.status}` };
    return queueNodeMessage(config.siteId, config, ctx);
  },
};

async function listedSite(siteId: string, { tx }: Pick<NodeRunContext, "tx">) {
  const [site] = await tx
    .select({ status: trustedSites.status, name: trustedSites.name })
    .from(trustedSites)
    .where(and(eq(trustedSites.id, siteId), isNull(trustedSites.workflowId)));
  return site;
}

/**
 * Renders the payload template for the run and queues the message to `siteId` (the caller checked
 * the site can take it); the node then waits for the message's outcome. A template that does not
 * render for this event takes the failure output with the reason.
 */
export async function queueNodeMessage(
  siteId: string,
  config: { action?: string; payload: unknown },
  { tx, runId, nodeId, scope, announce }: NodeRunContext,
): Promise<NodeOutcome> {
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
        siteId,
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
}
