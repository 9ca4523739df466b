"use client";

import { Handle, Position, type NodeProps } from "@xyflow/react";
import { AlertTriangle } from "lucide-react";
import Link from "next/link";
import { cn } from "@/components/ui/cn";
import { outputsOf, type NodeOutcome, type WorkflowFlowNode } from "./flow-graph";

const outcomeTone: Record<NodeOutcome, string> = {
  good: "border-emerald-500 bg-emerald-50",
  bad: "border-red-500 bg-red-50",
  waiting: "border-amber-500 bg-amber-50",
  "not-reached": "border-slate-300 bg-slate-100 text-slate-500",
};
const outcomeLabel: Record<NodeOutcome, string> = { good: "", bad: "", waiting: "Waiting", "not-reached": "Not reached" };

/** A node on the canvas: title, summary, warning, and its outputs (the good one green, the bad one red). */
export function WorkflowNode({ id, data, selected }: NodeProps<WorkflowFlowNode>) {
  const outputs = outputsOf(data.kind);
  return (
    <div
      data-testid={`node-${id}`}
      data-outcome={data.outcome}
      data-invalid={data.invalid ? "true" : undefined}
      className={cn(
        "w-60 rounded-lg border-2 bg-white px-3 pb-6 pt-2 text-sm shadow-sm",
        data.outcome ? outcomeTone[data.outcome] : "border-slate-300",
        selected && "ring-2 ring-indigo-500/60",
        data.invalid && "border-red-500 ring-2 ring-red-500/40",
      )}
    >
      {data.kind !== "trigger" && <Handle type="target" position={Position.Top} className="!size-3 !bg-slate-500" />}
      <div className="font-semibold text-slate-900">{data.title}</div>
      <div className="truncate text-xs text-slate-600">{data.summary}</div>
      {data.warning && (
        <p role="alert" className="mt-1 flex gap-1 text-xs font-medium text-amber-800">
          <AlertTriangle className="size-3.5 shrink-0" aria-hidden /> {data.warning}
        </p>
      )}
      {data.outcome && (
        <div className="mt-1 text-xs">
          {data.outcome === "good" || data.outcome === "bad" ? null : <span className="font-medium">{outcomeLabel[data.outcome]}</span>}
          {data.reason && <p className="text-slate-700">{data.reason}</p>}
          {data.messageId && (
            <Link href={`/webhooks/messages/${data.messageId}`} className="nodrag font-medium text-indigo-700 hover:underline">
              Open message
            </Link>
          )}
        </div>
      )}
      {outputs.map((output, i) => {
        const good = i === 0;
        const left = outputs.length === 1 ? 50 : good ? 25 : 75;
        return (
          <div key={output}>
            <Handle
              type="source"
              id={output}
              position={Position.Bottom}
              isConnectable={!data.readOnly}
              style={{ left: `${left}%` }}
              className={cn("!size-3.5", good ? "!bg-emerald-600" : "!bg-red-600")}
              aria-label={`${output} output`}
              data-testid={`handle-${id}-${output}`}
            />
            {output !== "next" && (
              <span
                className={cn("absolute bottom-1 -translate-x-1/2 text-[10px] font-semibold uppercase", good ? "text-emerald-700" : "text-red-700")}
                style={{ left: `${left}%` }}
              >
                {output}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

export const nodeTypes = { workflow: WorkflowNode };
