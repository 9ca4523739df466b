import { asc, sql } from "drizzle-orm";
import type { Database } from "../db";
import type { Transaction } from "../delivery/announce";
import { workflows, workflowVersions } from "../db/schema";

export interface SiteWorkflow {
  id: string;
  name: string;
  status: "draft" | "active" | "inactive";
}

/**
 * The workflows whose latest version has a Webhook message node sending to the site (runs of older
 * versions may still send to it, but editing a workflow is what stops it using the site).
 */
export async function workflowsUsingSite(db: Database | Transaction, siteId: string): Promise<SiteWorkflow[]> {
  const node = JSON.stringify([{ kind: "webhook-message", config: { siteId } }]);
  return db
    .select({ id: workflows.id, name: workflows.name, status: workflows.status })
    .from(workflows)
    .innerJoin(workflowVersions, sql`${workflowVersions.workflowId} = ${workflows.id}
      and ${workflowVersions.version} = (select max(v.version) from ${workflowVersions} v where v.workflow_id = ${workflows.id})`)
    .where(sql`${workflowVersions.graph}->'nodes' @> ${node}::jsonb`)
    .orderBy(asc(workflows.name));
}
