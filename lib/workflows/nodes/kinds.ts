import { z } from "zod";
import type { FieldIssue } from "../../errors";
import { conditionIssues, conditionSchema } from "../conditions";
import { templateIssues, type TemplateJson } from "../template";
import { AUTH_METHODS } from "../../auth-methods/method-names";
import { requestShapeFields } from "../../trusted-sites/request-shape";
import { siteFieldsSchema } from "../../trusted-sites/site-fields";

/*
 * The kinds of workflow node, client-safe: what the editor, the API and the engine share (label,
 * outputs, config schema). Each kind's server part (save-time checks, run) is its module in this
 * folder, registered in registry.ts. A new kind: one entry here, one module, one registry line.
 */

export const NODE_KINDS = ["condition", "webhook-message", "webhook-message-legacy"] as const;

/** The trigger is the node with this id; its one output starts the run. */
export const TRIGGER_NODE_ID = "trigger";
export const TRIGGER_OUTPUT = "next";
export type NodeKind = (typeof NODE_KINDS)[number];

export const conditionConfigSchema = z.object({
  conditions: z.array(conditionSchema).min(1, "Add at least one condition").max(20, "At most 20 conditions"),
});

/** What a message node makes: the action (blank: the trigger's event name) and the payload template. */
const messageFields = {
  action: z.string().trim().max(200, "Action is at most 200 characters").optional(),
  payload: z.json({ error: "The payload template must be JSON" }),
};

export const webhookMessageConfigSchema = z.object({
  siteId: z.uuid({ error: "Choose a trusted site" }),
  ...messageFields,
});

/**
 * Authorization code OAuth needs an operator to Connect on a site page, which a node does not
 * have: save the node as a trusted site to use it.
 */
export const LEGACY_AUTH_METHODS = AUTH_METHODS.filter((m) => m !== "oauth2");
export const LEGACY_TIMEOUT_DEFAULT_MS = 1_000;

/**
 * The legacy node: the connection typed into the node, with the site form's own field schemas
 * (one schema per field, no copy). `authParams` is checked by the method's schema on the server,
 * where a blank secret keeps the one stored (lib/workflows/nodes/webhook-message-legacy.ts).
 */
export const legacyWebhookConfigSchema = z.object({
  url: siteFieldsSchema.shape.url,
  contentType: siteFieldsSchema.shape.contentType,
  ...requestShapeFields,
  timeoutMs: siteFieldsSchema.shape.timeoutMs.removeDefault().default(LEGACY_TIMEOUT_DEFAULT_MS),
  authMethod: z.enum(LEGACY_AUTH_METHODS, { error: "Choose an authentication method (authorization code OAuth needs a trusted site)" }).default("none"),
  authParams: z.record(z.string(), z.unknown()).default({}),
  ...messageFields,
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
  "webhook-message-legacy": kind({
    label: "Webhook message (legacy)",
    description: "Legacy: the URL and credentials typed into the node. Prefer a Webhook message to a trusted site.",
    outputs: ["success", "failure"],
    schema: legacyWebhookConfigSchema,
    issues: (config) => templateIssues(config.payload as TemplateJson, ["payload"]),
  }),
} satisfies Record<NodeKind, NodeKindInfo>;
