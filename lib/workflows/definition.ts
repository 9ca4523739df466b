import { z } from "zod";
import type { FieldIssue } from "../errors";
import { conditionIssues, conditionSchema } from "./conditions";
import { graphIssues } from "./graph-issues";
import { NODE_KINDS, nodeKinds, TRIGGER_NODE_ID, TRIGGER_OUTPUT } from "./nodes/kinds";

/*
 * A workflow as the editor and the API send it (DESIGN §10). Client-safe (zod only). The graph is
 * xyflow-shaped: nodes with positions, edges from a node's output handle to another node. The
 * trigger is the node "trigger" with one output, "next"; every other node is an action whose kind
 * (lib/workflows/nodes/) checks its config and names its two outputs.
 */

export { TRIGGER_NODE_ID, TRIGGER_OUTPUT };

export const eventNameSchema = z
  .string({ error: "Event is required" })
  .trim()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, "An event name is lower case letters, digits, _ . or -, e.g. point_add");

export const triggerSchema = z.object({
  event: eventNameSchema,
  conditions: z.array(conditionSchema).max(20, "At most 20 conditions").default([]),
});

const nodeSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "A node id is 1 to 40 letters, digits, _ or -")
    .refine((id) => id !== TRIGGER_NODE_ID, `"${TRIGGER_NODE_ID}" names the trigger`),
  kind: z.enum(NODE_KINDS, { error: "Unknown kind of node" }),
  position: z.object({ x: z.number().finite().default(0), y: z.number().finite().default(0) }).default({ x: 0, y: 0 }),
  config: z.record(z.string(), z.unknown()).default({}),
});

const edgeSchema = z.object({
  source: z.string().max(40),
  sourceHandle: z.string().max(20),
  target: z.string().max(40),
});

export const graphSchema = z.object({
  nodes: z.array(nodeSchema).max(100, "At most 100 nodes"),
  edges: z.array(edgeSchema).max(200, "At most 200 connections"),
});

/**
 * A whole workflow, checked all at once (so a form shows every problem on the first save): the
 * fields, the graph's shape, each node's config against its kind's schema and the trigger's
 * conditions. What needs the database (the chosen sites) is checked on the server (save-workflow.ts).
 */
export const workflowInputSchema = z
  .object({
    name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(100, "Name must be at most 100 characters"),
    description: z.string().trim().max(1000, "Description must be at most 1000 characters").default(""),
    trigger: triggerSchema,
    graph: graphSchema.default({ nodes: [], edges: [] }),
  })
  .superRefine((workflow, ctx) => {
    const issues = [...conditionIssues(workflow.trigger.conditions, ["trigger", "conditions"]), ...graphIssues(workflow.graph)];
    workflow.graph.nodes.forEach((node, i) => {
      const kind = nodeKinds[node.kind];
      const parsed = kind.schema.safeParse(node.config);
      const at = ["graph", "nodes", i, "config"];
      if (!parsed.success) issues.push(...parsed.error.issues.map((issue) => ({ path: [...at, ...issue.path.map(String)], message: issue.message })));
      else issues.push(...(kind.issues as (config: unknown) => FieldIssue[])(parsed.data).map((issue) => ({ path: [...at, ...issue.path], message: issue.message })));
    });
    for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });

export type WorkflowInput = z.input<typeof workflowInputSchema>;
export type WorkflowDefinition = z.output<typeof workflowInputSchema>;
export type WorkflowGraph = z.output<typeof graphSchema>;
export type WorkflowNode = WorkflowGraph["nodes"][number];
