import { desc, eq } from "drizzle-orm";
import { describeActor, type Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { isUuid } from "../validation";
import { workflows, workflowVersions } from "../db/schema";
import type { Transaction } from "../delivery/announce";
import { NotFoundError, ValidationError, type FieldIssue } from "../errors";
import { rethrowUniqueViolation } from "../db/unique-violation";
import { parseOrThrow } from "../validation";
import { conditionIssues } from "./conditions";
import { workflowInputSchema, type WorkflowDefinition } from "./definition";
import { graphIssues } from "./graph-issues";
import { nodeKindModule } from "./nodes/registry";

/** Creates a workflow (a draft) with its first version. */
export async function createWorkflow(db: Database, actor: Actor, input: unknown) {
  const definition = parseOrThrow(workflowInputSchema, input);
  return db
    .transaction(async (tx) => {
      const checked = await checkDefinition(tx, definition);
      const [workflow] = await tx
        .insert(workflows)
        .values({ name: checked.name, description: checked.description, triggerEvent: checked.trigger.event })
        .returning();
      const version = await insertVersion(tx, workflow!.id, 1, checked, actor);
      return { ...workflow!, version };
    })
    .catch(rethrowDuplicateName(definition.name));
}

/** Saves an edit as a new version: runs already started keep the version they started with. */
export async function updateWorkflow(db: Database, actor: Actor, id: string, input: unknown) {
  if (!isUuid(id)) throw new NotFoundError("No such workflow");
  const definition = parseOrThrow(workflowInputSchema, input);
  return db
    .transaction(async (tx) => {
      const [current] = await tx.select().from(workflows).where(eq(workflows.id, id)).for("update");
      if (!current) throw new NotFoundError("No such workflow");
      const checked = await checkDefinition(tx, definition);
      const [latest] = await tx.select({ version: workflowVersions.version }).from(workflowVersions).where(eq(workflowVersions.workflowId, id)).orderBy(desc(workflowVersions.version)).limit(1);
      const [workflow] = await tx
        .update(workflows)
        .set({ name: checked.name, description: checked.description, triggerEvent: checked.trigger.event })
        .where(eq(workflows.id, id))
        .returning();
      const version = await insertVersion(tx, id, (latest?.version ?? 0) + 1, checked, actor);
      return { ...workflow!, version };
    })
    .catch(rethrowDuplicateName(definition.name));
}

/**
 * Everything checked when a workflow is saved, with field paths: the graph's shape, each node's
 * config against its kind's schema and checks (sites, templates), the trigger's conditions.
 * Returns the definition with each node's config as its schema parsed it.
 */
export async function checkDefinition(tx: Transaction, definition: WorkflowDefinition): Promise<WorkflowDefinition> {
  const issues: FieldIssue[] = [...conditionIssues(definition.trigger.conditions, ["trigger", "conditions"]), ...graphIssues(definition.graph)];
  const nodes = await Promise.all(
    definition.graph.nodes.map(async (node, i) => {
      const kind = nodeKindModule(node.kind);
      const at = ["graph", "nodes", i, "config"];
      const parsed = kind.schema.safeParse(node.config);
      if (!parsed.success) {
        issues.push(...parsed.error.issues.map((issue) => ({ path: [...at, ...issue.path.map(String)], message: issue.message })));
        return node;
      }
      for (const issue of (await kind.check?.(parsed.data, { tx })) ?? []) issues.push({ path: [...at, ...issue.path], message: issue.message });
      return { ...node, config: parsed.data as Record<string, unknown> };
    }),
  );
  if (issues.length > 0) throw new ValidationError(issues);
  return { ...definition, graph: { ...definition.graph, nodes } };
}

async function insertVersion(tx: Transaction, workflowId: string, version: number, definition: WorkflowDefinition, actor: Actor) {
  const [row] = await tx
    .insert(workflowVersions)
    .values({ workflowId, version, trigger: definition.trigger, graph: definition.graph, createdBy: describeActor(actor) })
    .returning();
  return row!;
}

const rethrowDuplicateName = (name: string) => rethrowUniqueViolation(`A workflow named "${name}" already exists`);
