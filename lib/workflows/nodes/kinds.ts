import { z } from "zod";
import { conditionSchema } from "../conditions";

/*
 * The kinds of workflow node, client-safe: what the editor, the API and the engine share (label,
 * outputs, config schema). Each kind's server part (save-time checks, run) is its module in this
 * folder, registered in registry.ts. A new kind: one entry here, one module, one registry line.
 */

export const NODE_KINDS = ["condition", "webhook-message"] as const;
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
}

export const nodeKinds = {
  condition: {
    label: "Condition",
    description: "Tests event and customer fields: true or false.",
    outputs: ["true", "false"],
    schema: conditionConfigSchema,
  },
  "webhook-message": {
    label: "Webhook message",
    description: "Sends a message to an active trusted site: success once delivered, failure once it failed.",
    outputs: ["success", "failure"],
    schema: webhookMessageConfigSchema,
  },
} as const satisfies Record<NodeKind, NodeKindInfo>;
