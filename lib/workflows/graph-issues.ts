import type { FieldIssue } from "../errors";
import type { WorkflowGraph } from "./definition";
import { nodeKinds, TRIGGER_NODE_ID, TRIGGER_OUTPUT } from "./nodes/kinds";

/**
 * Client-safe. The structural checks made when a workflow is saved: node ids unique, each connection from an
 * existing output to an existing node, at most one connection per output, every node reached by
 * exactly one connection (so no node is left unconnected and no path joins or loops back).
 */
export function graphIssues(graph: WorkflowGraph): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const byId = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    if (byId.has(node.id)) issues.push({ path: ["graph", "nodes", i, "id"], message: `Two nodes are called ${node.id}` });
    byId.set(node.id, i);
  });
  const outputsOf = (id: string): readonly string[] | null =>
    id === TRIGGER_NODE_ID ? [TRIGGER_OUTPUT] : byId.has(id) ? nodeKinds[graph.nodes[byId.get(id)!]!.kind].outputs : null;
  const usedOutputs = new Set<string>();
  const incoming = new Map<string, number>();
  graph.edges.forEach((edge, i) => {
    const at = (field: string) => ["graph", "edges", i, field];
    const outputs = outputsOf(edge.source);
    if (!outputs) return issues.push({ path: at("source"), message: `No node ${edge.source} to connect from` });
    if (!outputs.includes(edge.sourceHandle)) {
      return issues.push({ path: at("sourceHandle"), message: `${edge.source} has no output "${edge.sourceHandle}" (it has ${outputs.join(", ")})` });
    }
    if (!byId.has(edge.target)) return issues.push({ path: at("target"), message: `No node ${edge.target} to connect to` });
    const output = `${edge.source}/${edge.sourceHandle}`;
    if (usedOutputs.has(output)) issues.push({ path: at("sourceHandle"), message: `The ${edge.sourceHandle} output of ${edge.source} is connected twice` });
    usedOutputs.add(output);
    incoming.set(edge.target, (incoming.get(edge.target) ?? 0) + 1);
  });
  graph.nodes.forEach((node, i) => {
    const count = incoming.get(node.id) ?? 0;
    if (count === 0) issues.push({ path: ["graph", "nodes", i], message: `${node.id} is not connected: connect it to the trigger or to another node's output` });
    if (count > 1) issues.push({ path: ["graph", "nodes", i], message: `${node.id} is connected to more than one output: give each path its own node` });
  });
  if (issues.length === 0) issues.push(...cycleIssues(graph));
  return issues;
}

/** With one connection into each node, a loop is a path that never reaches the trigger. */
function cycleIssues(graph: WorkflowGraph): FieldIssue[] {
  const parent = new Map(graph.edges.map((e) => [e.target, e.source]));
  return graph.nodes.flatMap((node, i) => {
    const seen = new Set<string>();
    for (let at: string | undefined = node.id; at !== TRIGGER_NODE_ID; at = parent.get(at)) {
      if (at === undefined || seen.has(at)) return [{ path: ["graph", "nodes", i], message: `${node.id} is part of a loop: a workflow runs from the trigger forward` }];
      seen.add(at);
    }
    return [];
  });
}
