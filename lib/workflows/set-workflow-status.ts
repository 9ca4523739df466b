import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../backoffice-auth/actor";
import type { Database } from "../db";
import { isUuid } from "../validation";
import { workflows } from "../db/schema";
import { NotFoundError } from "../errors";
import { parseOrThrow } from "../validation";
import { latestVersion } from "./run-engine";
import { validDefinition, type SaveOptions } from "./save-workflow";

export const workflowStatusChangeSchema = z.object({
  status: z.enum(["active", "inactive"], { error: 'Status must be "active" or "inactive"' }),
});

/**
 * Activates or deactivates a workflow: only active workflows run. Activating checks the latest
 * version again (a site it sends to may have been deactivated since it was saved).
 */
export async function setWorkflowStatus(db: Database, _actor: Actor, id: string, input: unknown, options: SaveOptions = {}) {
  if (!isUuid(id)) throw new NotFoundError("No such workflow");
  const { status } = parseOrThrow(workflowStatusChangeSchema, input);
  return db.transaction(async (tx) => {
    const [workflow] = await tx.select().from(workflows).where(eq(workflows.id, id)).for("update");
    if (!workflow) throw new NotFoundError("No such workflow");
    if (status === "active") {
      const version = await latestVersion(tx, id);
      await validDefinition(tx, { name: workflow.name, description: workflow.description, trigger: version!.trigger, graph: version!.graph }, { workflowId: id, ...options });
    }
    const [updated] = await tx.update(workflows).set({ status }).where(eq(workflows.id, id)).returning();
    return updated!;
  });
}
