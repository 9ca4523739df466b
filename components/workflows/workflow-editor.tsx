"use client";

import { Background, Controls, ReactFlow, type Connection, type EdgeChange, type NodeChange } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { Plus, Save, Undo2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import { TRIGGER_NODE_ID, type WorkflowGraph } from "@/lib/workflows/definition";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";
import { LEGACY_TIMEOUT_DEFAULT_MS, nodeKinds, NODE_KINDS, type NodeKind } from "@/lib/workflows/nodes/kinds";
import { describeNode, edgeId, toFlowEdges, triggerNode, TRIGGER_POSITION, type SiteChoice, type WorkflowFlowNode } from "./flow-graph";
import { NodePanel, TriggerPanel, type PanelIssue, type TriggerValues } from "./node-panel";
import { nodeTypes } from "./workflow-node";

type Trigger = TriggerValues;
interface EditorState {
  name: string;
  description: string;
  trigger: Trigger;
  nodes: WorkflowGraph["nodes"];
  edges: WorkflowGraph["edges"];
}
interface Issues {
  byNode: Record<string, PanelIssue[]>;
  fields: Record<string, string>;
  general: string[];
}
const NO_ISSUES: Issues = { byNode: {}, fields: {}, general: [] };

export interface EditedWorkflow {
  id: string;
  version: number;
  name: string;
  description: string;
  trigger: Trigger;
  graph: WorkflowGraph;
}

/**
 * The workflow editor: the trigger and action nodes on a canvas, a palette of node kinds, the
 * selected node's form beside it, undo of the last change, and Save (a new version each time).
 */
export function WorkflowEditor({
  workflow,
  sites: initialSites,
  methods,
  legacyNodes = {},
  savedVersion,
}: {
  workflow?: EditedWorkflow;
  sites: SiteChoice[];
  /** The authentication methods a legacy node offers. */
  methods: MethodChoice[];
  /** Saved legacy nodes: the method stored for each and which of its secrets are set. */
  legacyNodes?: Record<string, { storedMethod: AuthMethod; secretsSet: Record<string, boolean> }>;
  savedVersion?: number;
}) {
  const router = useRouter();
  // A site made from a legacy node joins the list, so the node switched to it can name it.
  const [madeSites, setMadeSites] = useState<SiteChoice[]>([]);
  const sites = useMemo(() => [...initialSites, ...madeSites.filter((m) => !initialSites.some((s) => s.id === m.id))], [initialSites, madeSites]);
  const [state, setState] = useState<EditorState>(() => ({
    name: workflow?.name ?? "",
    description: workflow?.description ?? "",
    trigger: workflow?.trigger ?? { event: "", conditions: [] },
    nodes: workflow?.graph.nodes ?? [],
    edges: workflow?.graph.edges ?? [],
  }));
  const [history, setHistory] = useState<{ state: EditorState; key?: string }[]>([]);
  // Remounts the side panel's form after an undo, so it shows the restored values.
  const [revision, setRevision] = useState(0);
  const [selected, setSelected] = useState<string | null>(TRIGGER_NODE_ID);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const [triggerPosition, setTriggerPosition] = useState(TRIGGER_POSITION);
  const [jsonProblems, setJsonProblems] = useState<Record<string, string>>({});
  const [issues, setIssues] = useState<Issues>(NO_ISSUES);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(savedVersion ? `Saved as version ${savedVersion}.` : null);
  const [problem, setProblem] = useState<string | null>(null);
  const [version, setVersion] = useState(workflow?.version);
  // The latest state for event handlers; every update below writes it before setState.
  const stateRef = useRef(state);

  /** Applies a change, remembering the state before it for Undo; edits with the same key in a row are one change. */
  const change = useCallback((update: (s: EditorState) => EditorState, key?: string) => {
    const before = stateRef.current;
    const after = update(before);
    if (after === before) return;
    setHistory((h) => (key && h.at(-1)?.key === key ? h : [...h.slice(-49), { state: before, key }]));
    stateRef.current = after;
    setState(after);
    setNotice(null);
  }, []);

  const undo = useCallback(() => {
    setHistory((h) => {
      const last = h.at(-1);
      if (!last) return h;
      stateRef.current = last.state;
      setState(last.state);
      setRevision((r) => r + 1);
      setJsonProblems({});
      return h.slice(0, -1);
    });
  }, []);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      if (target && (target.closest("input, textarea, select") || target.isContentEditable)) return;
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") {
        e.preventDefault();
        undo();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo]);

  const flowNodes: WorkflowFlowNode[] = useMemo(() => {
    const trigger = triggerNode(state.trigger);
    const all: WorkflowFlowNode[] = [
      { ...trigger, position: triggerPosition, data: { ...trigger.data, invalid: !!issues.byNode[TRIGGER_NODE_ID] } },
      ...state.nodes.map((n) => ({
        id: n.id,
        type: "workflow" as const,
        position: n.position,
        data: { kind: n.kind, ...describeNode(n, sites), invalid: !!issues.byNode[n.id] || !!jsonProblems[n.id] },
      })),
    ];
    return all.map((n) => ({ ...n, selected: n.id === selected, measured: measured[n.id] }));
  }, [state.nodes, state.trigger, triggerPosition, issues, jsonProblems, sites, selected, measured]);
  const flowEdges = useMemo(() => toFlowEdges(state.edges).map((e) => ({ ...e, selected: e.id === selectedEdge })), [state.edges, selectedEdge]);

  const removeNodes = (ids: string[]) =>
    change((s) => ({
      ...s,
      nodes: s.nodes.filter((n) => !ids.includes(n.id)),
      edges: s.edges.filter((e) => !ids.includes(e.source) && !ids.includes(e.target)),
    }));

  function onNodesChange(changes: NodeChange<WorkflowFlowNode>[]) {
    const removed: string[] = [];
    for (const c of changes) {
      if (c.type === "dimensions" && c.dimensions) setMeasured((m) => ({ ...m, [c.id]: c.dimensions! }));
      else if (c.type === "select" && c.selected) {
        setSelected(c.id);
        setSelectedEdge(null);
      } else if (c.type === "select" && !c.selected) setSelected((s) => (s === c.id ? null : s));
      else if (c.type === "remove" && c.id !== TRIGGER_NODE_ID) removed.push(c.id);
      else if (c.type === "position" && c.position) {
        const position = c.position;
        if (c.id === TRIGGER_NODE_ID) setTriggerPosition(position);
        else {
          const next = { ...stateRef.current, nodes: stateRef.current.nodes.map((n) => (n.id === c.id ? { ...n, position } : n)) };
          stateRef.current = next;
          setState(next);
        }
      }
    }
    if (removed.length) removeNodes(removed);
  }

  function onEdgesChange(changes: EdgeChange[]) {
    const removed = new Set(changes.filter((c) => c.type === "remove").map((c) => c.id));
    for (const c of changes) if (c.type === "select") setSelectedEdge(c.selected ? c.id : null);
    if (removed.size) change((s) => ({ ...s, edges: s.edges.filter((e) => !removed.has(edgeId(e))) }));
  }

  function onConnect(connection: Connection) {
    const { source, target, sourceHandle } = connection;
    if (!sourceHandle || source === target || target === TRIGGER_NODE_ID) return;
    // One connection per output: drawing another one replaces it.
    change((s) => ({ ...s, edges: [...s.edges.filter((e) => !(e.source === source && e.sourceHandle === sourceHandle)), { source, sourceHandle, target }] }));
  }

  function addNode(kind: NodeKind) {
    const id = newNodeId(kind);
    const lowest = Math.max(triggerPosition.y, ...stateRef.current.nodes.map((n) => n.position.y));
    const config = NEW_NODE_CONFIG[kind];
    change((s) => ({ ...s, nodes: [...s.nodes, { id, kind, position: { x: triggerPosition.x + 40 * (s.nodes.length % 3), y: lowest + 160 }, config }] }));
    setSelected(id);
    setSelectedEdge(null);
  }

  const onTriggerChange = useCallback(
    (trigger: Trigger) => change((s) => (sameJson(s.trigger, trigger) ? s : { ...s, trigger }), "trigger"),
    [change],
  );
  const onConfigChange = useCallback(
    (nodeId: string, config: Record<string, unknown>, jsonProblem?: string) => {
      setJsonProblems((p) => {
        if (p[nodeId] === jsonProblem) return p;
        const next = { ...p };
        if (jsonProblem) next[nodeId] = jsonProblem;
        else delete next[nodeId];
        return next;
      });
      change((s) => {
        const node = s.nodes.find((n) => n.id === nodeId);
        if (!node || sameJson(node.config, config)) return s;
        return { ...s, nodes: s.nodes.map((n) => (n.id === nodeId ? { ...n, config } : n)) };
      }, `config:${nodeId}`);
    },
    [change],
  );
  const selectedNode = state.nodes.find((n) => n.id === selected);

  async function save() {
    setProblem(null);
    setNotice(null);
    const broken = Object.keys(jsonProblems);
    if (broken.length) {
      setSelected(broken[0]!);
      setProblem("A payload template is not valid JSON: fix it (the node is marked red), then save.");
      return;
    }
    const sent = stateRef.current;
    const body = { name: sent.name, description: sent.description, trigger: sent.trigger, graph: { nodes: sent.nodes, edges: sent.edges } };
    setSaving(true);
    try {
      const response = await fetch(workflow ? `/api/workflows/${workflow.id}` : "/api/workflows", {
        method: workflow ? "PATCH" : "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        setIssues(NO_ISSUES);
        const saved: number = answer.version.version;
        if (!workflow) {
          router.replace(`/workflows/${answer.id}?saved=${saved}`);
          return;
        }
        setVersion(saved);
        setNotice(`Saved as version ${saved}.`);
        router.refresh();
        return;
      }
      if (response.status === 422 && Array.isArray(answer.issues)) {
        const found = sortIssues(answer.issues, sent.nodes);
        setIssues(found);
        const first = Object.keys(found.byNode)[0];
        if (first) setSelected(first);
        setProblem("The workflow was not saved: fix the marked nodes and fields, then save again.");
      } else {
        setProblem(answer.error ?? `Saving failed (${response.status}). Try again.`);
      }
    } catch {
      setProblem("The server could not be reached. Check your connection and save again.");
    } finally {
      setSaving(false);
    }
  }

  return (
    <div className="flex flex-col gap-4">
      <div className="grid gap-4 md:grid-cols-2">
        <TextField label="Name" value={state.name} error={issues.fields.name} onChange={(e) => change((s) => ({ ...s, name: e.target.value }), "name")} />
        <TextField label="Description" value={state.description} error={issues.fields.description} onChange={(e) => change((s) => ({ ...s, description: e.target.value }), "description")} />
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-sm font-medium text-slate-700">Add:</span>
        {NODE_KINDS.map((kind) => (
          <Button key={kind} type="button" variant="secondary" title={nodeKinds[kind].description} onClick={() => addNode(kind)}>
            <Plus className="size-4" aria-hidden /> {nodeKinds[kind].label}
          </Button>
        ))}
        <div className="ml-auto flex items-center gap-2">
          {selectedEdge && (
            <Button type="button" variant="secondary" onClick={() => change((s) => ({ ...s, edges: s.edges.filter((e) => edgeId(e) !== selectedEdge) }))}>
              Delete connection
            </Button>
          )}
          <Button type="button" variant="secondary" onClick={undo} disabled={history.length === 0} title="Undo the last change (Ctrl+Z)">
            <Undo2 className="size-4" aria-hidden /> Undo
          </Button>
          <Button type="button" onClick={save} disabled={saving}>
            <Save className="size-4" aria-hidden /> {saving ? "Saving…" : "Save"}
          </Button>
        </div>
      </div>
      {notice && (
        <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {notice}
        </p>
      )}
      {problem && (
        <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          <p>{problem}</p>
          {issues.general.length > 0 && (
            <ul className="mt-1 list-disc pl-5">
              {issues.general.map((g) => (
                <li key={g}>{g}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="grid gap-4 lg:grid-cols-[1fr_22rem]">
        <div className="h-[560px] rounded-lg border border-slate-200 bg-white" data-testid="workflow-canvas">
          <ReactFlow
            nodes={flowNodes}
            edges={flowEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={() => change((s) => ({ ...s }))}
            onPaneClick={() => setSelectedEdge(null)}
            deleteKeyCode={["Backspace", "Delete"]}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        <aside className="rounded-lg border border-slate-200 bg-white p-4" aria-label="Selected node">
          {selected === TRIGGER_NODE_ID ? (
            <TriggerPanel key={`trigger-${revision}`} trigger={state.trigger} issues={issues.byNode[TRIGGER_NODE_ID] ?? []} onChange={onTriggerChange} />
          ) : selectedNode ? (
            <NodePanel
              key={`${selectedNode.id}-${revision}`}
              nodeId={selectedNode.id}
              kind={selectedNode.kind}
              config={selectedNode.config}
              issues={issues.byNode[selectedNode.id] ?? []}
              sites={sites}
              triggerEvent={state.trigger.event}
              workflowName={state.name}
              methods={methods}
              legacy={{
                workflowId: workflow?.id,
                saved: !!workflow?.graph.nodes.some((n) => n.id === selectedNode.id && n.kind === "webhook-message-legacy"),
                storedMethod: legacyNodes[selectedNode.id]?.storedMethod,
                secretsSet: legacyNodes[selectedNode.id]?.secretsSet ?? {},
              }}
              onChange={(config, jsonProblem) => onConfigChange(selectedNode.id, config, jsonProblem)}
              onSwitchToSite={(site) => {
                setMadeSites((list) => [...list, site]);
                change((s) => ({
                  ...s,
                  nodes: s.nodes.map((n) =>
                    n.id === selectedNode.id ? { ...n, kind: "webhook-message", config: { siteId: site.id, action: n.config.action ?? "", payload: n.config.payload ?? {} } } : n,
                  ),
                }));
                setRevision((r) => r + 1);
              }}
              onDelete={() => {
                removeNodes([selectedNode.id]);
                setSelected(null);
              }}
            />
          ) : (
            <p className="text-sm text-slate-500">Select a node to edit it. Drag from a node&apos;s green or red output to another node to connect them.</p>
          )}
          {version !== undefined && <p className="mt-4 text-xs text-slate-500">Latest saved version: {version}</p>}
        </aside>
      </div>
    </div>
  );
}

const NEW_NODE_CONFIG: Record<NodeKind, Record<string, unknown>> = {
  condition: { conditions: [] },
  "webhook-message": { siteId: "", action: "", payload: {} },
  "webhook-message-legacy": {
    url: "",
    httpMethod: "POST",
    bodyEncoding: "json",
    contentType: "application/json",
    headers: [],
    timeoutMs: LEGACY_TIMEOUT_DEFAULT_MS,
    authMethod: "none",
    authParams: {},
    action: "",
    payload: {},
  },
};

function newNodeId(kind: NodeKind): string {
  return `${kind}-${Math.random().toString(36).slice(2, 10)}`;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The server's issues, each on its node (by the index in the nodes sent) and field. */
function sortIssues(list: { path: (string | number)[]; message: string }[], nodes: WorkflowGraph["nodes"]): Issues {
  const found: Issues = { byNode: {}, fields: {}, general: [] };
  const onNode = (id: string, issue: PanelIssue) => (found.byNode[id] ??= []).push(issue);
  for (const { path, message } of list) {
    const [root, part, index, section, ...rest] = path;
    if (root === "trigger") onNode(TRIGGER_NODE_ID, { path: path.slice(1).join("."), message });
    else if (root === "graph" && part === "nodes" && typeof index === "number" && nodes[index]) {
      onNode(nodes[index]!.id, { path: section === "config" ? rest.join(".") : "", message });
    } else if (root === "graph" && part === "edges" && typeof index === "number") found.general.push(`Connection ${index + 1}: ${message}`);
    else if (root === "name" || root === "description") found.fields[root] = message;
    else found.general.push(message);
  }
  return found;
}
