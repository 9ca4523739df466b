import type { z } from "zod";
import type { Announce, Transaction } from "../../delivery/announce";
import type { FieldIssue } from "../../errors";
import type { SecretBox } from "../../secrets";
import type { TemplateScope } from "../template";

/** What a node sees when it runs: the run's transaction, its scope, how to announce messages. */
export interface NodeRunContext {
  tx: Transaction;
  runId: string;
  workflowId: string;
  nodeId: string;
  scope: TemplateScope;
  announce: Announce;
}

/** A node either takes one of its outputs now, or waits for a message's outcome (success when done, failure when failed). */
export type NodeOutcome = { output: string; reason?: string } | { waitForMessage: string };

/** What a save-time check can look up: the workflow (null while it is being created) and the node. */
export interface NodeCheckContext {
  tx: Transaction;
  workflowId: string | null;
  nodeId: string;
  secrets(): SecretBox;
}

/** Where a saved node keeps what does not belong in the version's graph (a legacy node's credentials). */
export interface NodeSaveContext extends NodeCheckContext {
  workflowId: string;
  workflowName: string;
}

/** The server part of a node kind (DESIGN §10): save-time checks beyond its schema, what saving keeps, and its run. */
export interface NodeKindModule<S extends z.ZodType> {
  /** Issues relative to the node's config (references, the chosen site). */
  check?(config: z.output<S>, ctx: NodeCheckContext): Promise<FieldIssue[]>;
  /** Runs once the config passed every check; returns the config as the version stores it (without secrets). */
  save?(config: z.output<S>, ctx: NodeSaveContext): Promise<z.output<S>>;
  run(config: z.output<S>, ctx: NodeRunContext): Promise<NodeOutcome>;
}
