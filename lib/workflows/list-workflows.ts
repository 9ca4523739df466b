import { asc } from "drizzle-orm";
import type { Database } from "../db";
import { workflows } from "../db/schema";

export function listWorkflows(db: Database) {
  return db
    .select({
      id: workflows.id,
      name: workflows.name,
      triggerEvent: workflows.triggerEvent,
      updatedAt: workflows.updatedAt,
    })
    .from(workflows)
    .orderBy(asc(workflows.name));
}
