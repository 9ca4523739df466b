import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { positionBound, positionOf } from "../db/page-position";
import { pageCursorSchema, pageLimitSchema } from "../page-cursor";
import type { Database } from "../db";
import { redactParams } from "../auth-methods/stored-params";
import { customers, trustedSites, webhookMessages, workflowNodeRuns, workflowRuns, workflows, workflowVersions } from "../db/schema";
import { NotFoundError } from "../errors";
import { isUuid, parseOrThrow, storable } from "../validation";
import type { WorkflowGraph } from "./definition";
import { latestVersion } from "./run-engine";

export function listWorkflows(db: Database) {
  return db
    .select({ id: workflows.id, name: workflows.name, status: workflows.status, triggerEvent: workflows.triggerEvent, updatedAt: workflows.updatedAt })
    .from(workflows)
    .orderBy(asc(workflows.name));
}

/** A workflow with its latest version (trigger and graph). */
export async function getWorkflow(db: Database, id: string) {
  if (!isUuid(id)) throw new NotFoundError("No such workflow");
  const [workflow] = await db.select().from(workflows).where(eq(workflows.id, id));
  if (!workflow) throw new NotFoundError("No such workflow");
  const version = await latestVersion(db, id);
  return { ...workflow, version: version!.version, trigger: version!.trigger, graph: version!.graph };
}

/** A workflow's runs, newest first (at most `limit`, before `before` when given). */
/** `?cursor&limit` of a run history (newest first). */
export const runsQuerySchema = storable(z.object({ cursor: pageCursorSchema(z.uuid()).optional(), limit: pageLimitSchema }));

/**
 * A workflow's runs, newest first, keyset-paged on (started_at, id), each with how many messages it
 * made and how many of them were delivered or failed.
 */
export async function listRuns(db: Database, workflowId: string, query: unknown = {}) {
  const q = parseOrThrow(runsQuerySchema, query);
  await getWorkflow(db, workflowId);
  const made = sql`(select count(*) from ${webhookMessages} m where m.workflow_run_id = ${workflowRuns.id}`;
  const rows = await db
    .select({
      id: workflowRuns.id,
      status: workflowRuns.status,
      event: workflowRuns.event,
      version: workflowVersions.version,
      customerId: workflowRuns.customerId,
      customerName: customers.name,
      startedAt: workflowRuns.startedAt,
      finishedAt: workflowRuns.finishedAt,
      messages: sql<number>`${made})::int`,
      delivered: sql<number>`${made} and m.status = 'done')::int`,
      failed: sql<number>`${made} and m.status = 'failed')::int`,
      position: positionOf(workflowRuns.startedAt),
    })
    .from(workflowRuns)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflowRuns.versionId))
    .innerJoin(customers, eq(customers.id, workflowRuns.customerId))
    .where(
      and(
        eq(workflowRuns.workflowId, workflowId),
        q.cursor && sql`(${workflowRuns.startedAt}, ${workflowRuns.id}) < (${positionBound(q.cursor.micros)}, ${q.cursor.id}::uuid)`,
      ),
    )
    .orderBy(desc(workflowRuns.startedAt), desc(workflowRuns.id))
    .limit(q.limit + 1);
  const last = rows[q.limit - 1];
  return { runs: rows.slice(0, q.limit), nextCursor: rows.length > q.limit && last ? `${last.position}.${last.id}` : null };
}

/** One run: its event, the version it ran, and what each node did (with the messages it made). */
export async function getRun(db: Database, id: string) {
  if (!isUuid(id)) throw new NotFoundError("No such workflow run");
  const [run] = await db
    .select({ run: workflowRuns, version: workflowVersions.version, graph: workflowVersions.graph, workflowName: workflows.name })
    .from(workflowRuns)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflowRuns.versionId))
    .innerJoin(workflows, eq(workflows.id, workflowRuns.workflowId))
    .where(eq(workflowRuns.id, id));
  if (!run) throw new NotFoundError("No such workflow run");
  const nodes = await db
    .select({
      nodeId: workflowNodeRuns.nodeId,
      status: workflowNodeRuns.status,
      output: workflowNodeRuns.output,
      reason: workflowNodeRuns.reason,
      messageId: workflowNodeRuns.messageId,
      messageStatus: webhookMessages.status,
      startedAt: workflowNodeRuns.startedAt,
      finishedAt: workflowNodeRuns.finishedAt,
    })
    .from(workflowNodeRuns)
    .leftJoin(webhookMessages, eq(webhookMessages.id, workflowNodeRuns.messageId))
    .where(eq(workflowNodeRuns.runId, id))
    .orderBy(asc(workflowNodeRuns.startedAt));
  // Nodes run in one transaction share a start time: list them in the order the path reaches them.
  const depth = depthOf(run.graph as WorkflowGraph);
  nodes.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (depth.get(a.nodeId) ?? 0) - (depth.get(b.nodeId) ?? 0));
  return { ...run.run, workflowName: run.workflowName, version: run.version, graph: run.graph, nodes };
}

function depthOf(graph: WorkflowGraph): Map<string, number> {
  const parent = new Map(graph.edges.map((e) => [e.target, e.source]));
  const depth = new Map<string, number>();
  for (const node of graph.nodes) {
    let d = 0;
    for (let at = parent.get(node.id); at && d <= graph.nodes.length; at = parent.get(at)) d++;
    depth.set(node.id, d);
  }
  return depth;
}

/** For the editor: each saved legacy node's stored method and which of its secrets are set (never the secrets). */
export async function legacyNodeSecrets(db: Database, workflowId: string) {
  const rows = await db
    .select({ nodeId: trustedSites.workflowNodeId, authMethod: trustedSites.authMethod, authParams: trustedSites.authParams })
    .from(trustedSites)
    .where(eq(trustedSites.workflowId, workflowId));
  return Object.fromEntries(rows.map((r) => [r.nodeId!, { storedMethod: r.authMethod, secretsSet: redactParams(r.authMethod, r.authParams).secretsSet }]));
}
