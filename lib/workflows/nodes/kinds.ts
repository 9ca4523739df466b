import { z } from "zod";
import type { FieldIssue } from "../../errors";
import { conditionIssues, conditionSchema } from "../conditions";
import { templateIssues, type TemplateJson } from "../template";

/*
 * The kinds of workflow node, client-safe: what the editor, the API and the engine share (label,
 * outputs, config schema). Each kind's server part (save-time checks, run) is its module in this
 * folder, registered in registry.ts. A new kind: one entry here, one module, one registry line.
 */

export const NODE_KINDS = ["condition", "webhook-message"] as const;

/** The trigger is the node with this id; its one output starts the run. */
export const TRIGGER_NODE_ID = "trigger";
export const TRIGGER_OUTPUT = "next";
export type NodeKind = (typeof NODE_KINDS)[number];

export const conditionConfigSchema = z.object({
  conditions: z.array(conditionSchema).min(1, "Add at least one condition").max(20, "At most 20 conditions"),
});

export const webhookMessageConfigSchema = z.object({
  siteId: z.uuid({ error: "Choose a trusted site" }),
  /** Blank: the trigger's event name. */
  action: z.string().trim().max(200, "Action is at most 200 characters").optional(),
  payload: z.json({ error: "The payload template must be JSON" }),
});

export interface NodeKindInfo<S extends z.ZodType = z.ZodType> {
  label: string;
  /** What the palette says about it. */
  description: string;
  /** Output handles, in the order the editor draws them (the first is the "good" one, drawn green). */
  outputs: readonly [string, string];
  schema: S;
  /** Checks of a parsed config beyond its schema that need no database (the editor runs them too), paths relative to the config. */
  issues(config: z.output<S>): FieldIssue[];
}

const kind = <S extends z.ZodType>(info: NodeKindInfo<S>) => info;

export const nodeKinds = {
  condition: kind({
    label: "Condition",
    description: "Tests event and customer fields: true or false.",
    outputs: ["true", "false"],
    schema: conditionConfigSchema,
    issues: (config) => conditionIssues(config.conditions, ["conditions"]),
  }),
  "webhook-message": kind({
    label: "Webhook message",
    description: "Sends a message to an active trusted site: success once delivered, failure once it failed.",
    outputs: ["success", "failure"],
    schema: webhookMessageConfigSchema,
    issues: (config) => templateIssues(config.payload as TemplateJson, ["payload"]),
  }),
} satisfies Record<NodeKind, NodeKindInfo>;
