import type { Edge, Node } from "@xyflow/react";
import { TRIGGER_NODE_ID, TRIGGER_OUTPUT, type WorkflowDefinition, type WorkflowGraph } from "@/lib/workflows/definition";
import { nodeKinds, type NodeKind } from "@/lib/workflows/nodes/kinds";

/** What a canvas node shows: the trigger or an action, with its warnings and (in a run) its outcome. */
export interface WorkflowNodeData extends Record<string, unknown> {
  kind: NodeKind | "trigger";
  title: string;
  summary: string;
  warning?: string;
  invalid?: boolean;
  outcome?: NodeOutcome;
  reason?: string | null;
  messageId?: string | null;
  readOnly?: boolean;
}
export type NodeOutcome = "good" | "bad" | "waiting" | "not-reached";
export type WorkflowFlowNode = Node<WorkflowNodeData, "workflow">;

export interface SiteChoice {
  id: string;
  name: string;
  status: string;
}

/** The trigger's place on the canvas is not stored: it stays top left. */
export const TRIGGER_POSITION = { x: 0, y: 0 };

/** A node's output handles: the trigger has one, an action its kind's good and bad ones. */
export function outputsOf(kind: NodeKind | "trigger"): readonly string[] {
  return kind === "trigger" ? [TRIGGER_OUTPUT] : nodeKinds[kind].outputs;
}

/** Why a Webhook message node cannot send (its site is no longer offered), or undefined. */
export function siteWarning(config: Record<string, unknown>, sites: SiteChoice[]): string | undefined {
  const siteId = config.siteId;
  if (typeof siteId !== "string" || siteId === "") return undefined;
  const site = sites.find((s) => s.id === siteId);
  if (!site) return "Its trusted site was deleted: choose an active site, or runs take the failure output.";
  if (site.status !== "active") return `“${site.name}” is ${site.status}: choose an active site, or runs take the failure output.`;
  return undefined;
}

export function describeNode(node: WorkflowGraph["nodes"][number], sites: SiteChoice[]): Pick<WorkflowNodeData, "title" | "summary" | "warning"> {
  const config = node.config;
  if (node.kind === "webhook-message") {
    const site = sites.find((s) => s.id === config.siteId);
    return {
      title: nodeKinds[node.kind].label,
      summary: site ? `to ${site.name}` : config.siteId ? "to a site that is gone" : "Choose a trusted site",
      warning: siteWarning(config, sites),
    };
  }
  if (node.kind === "webhook-message-legacy") {
    const url = typeof config.url === "string" && URL.canParse(config.url) ? new URL(config.url) : null;
    return { title: nodeKinds[node.kind].label, summary: url ? `${config.httpMethod ?? "POST"} to ${url.host}` : "Enter a URL" };
  }
  const count = Array.isArray(config.conditions) ? config.conditions.length : 0;
  return { title: nodeKinds[node.kind].label, summary: count ? `${count} condition${count > 1 ? "s" : ""}` : "Add a condition" };
}

export function triggerNode(trigger: WorkflowDefinition["trigger"] | { event: string; conditions: unknown[] }): WorkflowFlowNode {
  const conditions = trigger.conditions.length;
  return {
    id: TRIGGER_NODE_ID,
    type: "workflow",
    position: TRIGGER_POSITION,
    deletable: false,
    data: {
      kind: "trigger",
      title: "Trigger",
      summary: (trigger.event || "Choose an event") + (conditions ? ` · ${conditions} condition${conditions > 1 ? "s" : ""}` : ""),
    },
  };
}

export function toFlowEdges(edges: WorkflowGraph["edges"]): Edge[] {
  return edges.map((e) => {
    const good = e.sourceHandle === TRIGGER_OUTPUT || isGoodOutput(e.source, e.sourceHandle);
    return {
      id: edgeId(e),
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      label: e.sourceHandle === TRIGGER_OUTPUT ? undefined : e.sourceHandle,
      style: { stroke: good ? "#059669" : "#dc2626", strokeWidth: 2 },
      labelStyle: { fill: good ? "#047857" : "#b91c1c", fontWeight: 600 },
    };
  });
}

/** Good outputs are the first of a kind's two; "true" and "success" never name a bad one. */
function isGoodOutput(_source: string, handle: string): boolean {
  return Object.values(nodeKinds).some((k) => k.outputs[0] === handle);
}

export const edgeId = (e: { source: string; sourceHandle?: string | null; target: string }) => `${e.source}:${e.sourceHandle}->${e.target}`;
