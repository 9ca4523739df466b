import type { z } from "zod";
import type { Announce, Transaction } from "../../delivery/announce";
import type { FieldIssue } from "../../errors";
import type { TemplateScope } from "../template";

/** What a node sees when it runs: the run's transaction, its scope, how to announce messages. */
export interface NodeRunContext {
  tx: Transaction;
  runId: string;
  nodeId: string;
  scope: TemplateScope;
  announce: Announce;
}

/** A node either takes one of its outputs now, or waits for a message's outcome (success when done, failure when failed). */
export type NodeOutcome = { output: string; reason?: string } | { waitForMessage: string };

/** What a save-time check can look up. */
export interface NodeCheckContext {
  tx: Transaction;
}

/** The server part of a node kind (DESIGN §10): save-time checks beyond its schema, and its run. */
export interface NodeKindModule<S extends z.ZodType> {
  /** Issues relative to the node's config (references, the chosen site). */
  check?(config: z.output<S>, ctx: NodeCheckContext): Promise<FieldIssue[]>;
  run(config: z.output<S>, ctx: NodeRunContext): Promise<NodeOutcome>;
}
