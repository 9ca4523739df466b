import type { z } from "zod";
import type { Transaction } from "../../delivery/announce";
import type { FieldIssue } from "../../errors";
import type { TemplateScope } from "../template";

/** What a node sees when it runs: the run's transaction, its scope, how to announce messages. */
export interface NodeRunContext {
  tx: Transaction;
  runId: string;
  nodeId: string;
  scope: TemplateScope;
  announce: import("../../delivery/announce").Announce;
}

/** A node either takes one of its outputs now, or waits for a message's outcome (success when done, failure when failed). */
export type NodeOutcome = { output: string; reason?: string } | { waitForMessage: string };

/** What a save-time check can look up. */
export interface NodeCheckContext {
  tx: Transaction;
}

/** One kind of workflow node (DESIGN §10): its config schema, its outputs, its save-time checks and its run. */
export interface NodeKindModule<Config = unknown> {
  label: string;
  /** Output handles, in the order the editor draws them. */
  outputs: readonly [string, string];
  schema: z.ZodType<Config>;
  /** Checks beyond the schema (references, the chosen site), issues relative to the node's config. */
  check?(config: Config, ctx: NodeCheckContext): Promise<FieldIssue[]>;
  run(config: Config, ctx: NodeRunContext): Promise<NodeOutcome>;
}
