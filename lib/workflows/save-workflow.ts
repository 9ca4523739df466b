import { eq } from "drizzle-orm";
import { describeActor, type Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { isUuid, toFieldIssues } from "../validation";
import { workflows, workflowVersions } from "../db/schema";
import type { Transaction } from "../delivery/announce";
import { NotFoundError, ValidationError, type FieldIssue } from "../errors";
import { rethrowUniqueViolation } from "../db/unique-violation";
import { graphSchema, workflowInputSchema, type WorkflowDefinition } from "./definition";
import { nodeKindModule } from "./nodes/registry";
import { latestVersion } from "./run-engine";
import { secrets as processSecrets, type SecretBox } from "../secrets";

/** How saving reaches the secret box (legacy nodes seal their credentials); the process's by default. */
export interface SaveOptions {
  box?: SecretBox;
}

/** Creates a workflow (a draft) with its first version. */
export async function createWorkflow(db: Database, actor: Actor, input: unknown, options: SaveOptions = {}) {
  return db
    .transaction(async (tx) => {
      const definition = await validDefinition(tx, input, { workflowId: null, ...options });
      const [workflow] = await tx
        .insert(workflows)
        .values({ name: definition.name, description: definition.description, triggerEvent: definition.trigger.event })
        .returning()
        .catch(rethrowDuplicateName(definition.name));
      const version = await insertVersion(tx, workflow!, 1, definition, actor, options);
      return { ...workflow!, version };
    });
}

/** Saves an edit as a new version: runs already started keep the version they started with. */
export async function updateWorkflow(db: Database, actor: Actor, id: string, input: unknown, options: SaveOptions = {}) {
  if (!isUuid(id)) throw new NotFoundError("No such workflow");
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(workflows).where(eq(workflows.id, id)).for("update");
    if (!current) throw new NotFoundError("No such workflow");
    const definition = await validDefinition(tx, input, { workflowId: id, ...options });
    const latest = await latestVersion(tx, id);
    const [workflow] = await tx
      .update(workflows)
      .set({ name: definition.name, description: definition.description, triggerEvent: definition.trigger.event })
      .where(eq(workflows.id, id))
      .returning()
      .catch(rethrowDuplicateName(definition.name));
    const version = await insertVersion(tx, workflow!, (latest?.version ?? 0) + 1, definition, actor, options);
    return { ...workflow!, version };
  });
}

/**
 * A workflow as saved, or a ValidationError with every problem at once: the schema's (fields,
 * graph, node configs, templates) and, for each node whose config is valid, its kind's checks that
 * need the database (the chosen site exists and is active).
 */
export async function validDefinition(tx: Transaction, input: unknown, options: SaveOptions & { workflowId: string | null }): Promise<WorkflowDefinition> {
  const secrets = () => options.box ?? processSecrets();
  const parsed = workflowInputSchema.safeParse(input);
  const issues: FieldIssue[] = parsed.success ? [] : toFieldIssues(parsed.error);
  const nodes = graphSchema.shape.nodes.safeParse((input as { graph?: { nodes?: unknown } } | null)?.graph?.nodes);
  for (const [i, node] of (nodes.data ?? []).entries()) {
    const kind = nodeKindModule(node.kind);
    const config = kind.schema.safeParse(node.config);
    if (!config.success) continue;
    const ctx = { tx, workflowId: options.workflowId, nodeId: node.id, secrets };
    for (const issue of (await kind.check?.(config.data, ctx)) ?? []) issues.push({ path: ["graph", "nodes", i, "config", ...issue.path], message: issue.message });
  }
  if (!parsed.success || issues.length > 0) throw new ValidationError(issues);
  const definition = parsed.data;
  const configs = definition.graph.nodes.map((node) => ({ ...node, config: nodeKindModule(node.kind).schema.parse(node.config) as Record<string, unknown> }));
  return { ...definition, graph: { ...definition.graph, nodes: configs } };
}

/** The version row, after each node kept what stays outside the graph (a legacy node's connection and secrets). */
async function insertVersion(tx: Transaction, workflow: { id: string; name: string }, version: number, definition: WorkflowDefinition, actor: Actor, options: SaveOptions) {
  const ctx = { tx, workflowId: workflow.id, workflowName: workflow.name, secrets: () => options.box ?? processSecrets() };
  const nodes = [];
  for (const node of definition.graph.nodes) {
    const kind = nodeKindModule(node.kind);
    nodes.push(kind.save ? { ...node, config: (await kind.save(node.config, { ...ctx, nodeId: node.id })) as Record<string, unknown> } : node);
  }
  const [row] = await tx
    .insert(workflowVersions)
    .values({ workflowId: workflow.id, version, trigger: definition.trigger, graph: { ...definition.graph, nodes }, createdBy: describeActor(actor) })
    .returning();
  return row!;
}

const rethrowDuplicateName = (name: string) => rethrowUniqueViolation(`A workflow named "${name}" already exists`);
