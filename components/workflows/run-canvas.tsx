"use client";

import { Background, Controls, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { TRIGGER_NODE_ID, type WorkflowGraph } from "@/lib/workflows/definition";
import { nodeKinds } from "@/lib/workflows/nodes/kinds";
import { describeNode, toFlowEdges, triggerNode, type NodeOutcome, type SiteChoice, type WorkflowFlowNode } from "./flow-graph";
import { nodeTypes } from "./workflow-node";

export interface NodeRunView {
  nodeId: string;
  status: string;
  output: string | null;
  reason: string | null;
  messageId: string | null;
}

/** A past run on the workflow's canvas, read-only: each node coloured by what it did. */
export function RunCanvas({ event, graph, nodeRuns, sites }: { event: string; graph: WorkflowGraph; nodeRuns: NodeRunView[]; sites: SiteChoice[] }) {
  const trigger = triggerNode({ event, conditions: [] });
  const nodes: WorkflowFlowNode[] = [
    { ...trigger, draggable: false, data: { ...trigger.data, readOnly: true, outcome: "good" } },
    ...graph.nodes.map((n) => {
      const ran = nodeRuns.find((r) => r.nodeId === n.id);
      return {
        id: n.id,
        type: "workflow" as const,
        position: n.position,
        draggable: false,
        data: {
          kind: n.kind,
          ...describeNode(n, sites),
          warning: undefined,
          readOnly: true,
          outcome: outcomeOf(n.kind, ran),
          reason: ran?.reason ?? (ran ? null : "Not reached"),
          messageId: ran?.messageId,
        },
      };
    }),
  ];
  const taken = new Set([`${TRIGGER_NODE_ID}:next`, ...nodeRuns.filter((r) => r.output).map((r) => `${r.nodeId}:${r.output}`)]);
  const edges = toFlowEdges(graph.edges).map((e) => (taken.has(`${e.source}:${e.sourceHandle}`) ? { ...e, animated: true } : { ...e, style: { ...e.style, opacity: 0.35 } }));
  return (
    <div className="h-[480px] rounded-lg border border-slate-200 bg-white" data-testid="run-canvas">
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} nodesConnectable={false} nodesDraggable={false} edgesFocusable={false} fitView fitViewOptions={{ maxZoom: 1 }} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

function outcomeOf(kind: keyof typeof nodeKinds, ran: NodeRunView | undefined): NodeOutcome {
  if (!ran) return "not-reached";
  if (ran.status === "waiting" || !ran.output) return "waiting";
  return ran.output === nodeKinds[kind].outputs[0] ? "good" : "bad";
}
