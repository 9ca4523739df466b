import { History } from "lucide-react";
import Link from "next/link";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import type { listRuns } from "@/lib/workflows/read-workflows";

const runStatus: Record<string, string> = { running: "queued", completed: "done", failed: "failed" };

type RunPage = Awaited<ReturnType<typeof listRuns>>;

/** A workflow's runs, newest first, each linked to its page; "Older runs" pages on with a cursor. */
export function RunHistory({ workflowId, page, paged }: { workflowId: string; page: RunPage; paged: boolean }) {
  const { runs, nextCursor } = page;
  if (runs.length === 0 && paged) {
    return (
      <p className="text-sm text-slate-500">
        No older runs. <Link href={`/workflows/${workflowId}#runs`} className="text-indigo-700 hover:underline">Back to the newest</Link>
      </p>
    );
  }
  if (runs.length === 0) {
    return (
      <EmptyState icon={History} title="No runs yet">
        Runs appear here when a matching customer event arrives while the workflow is active, or when you send a test event.
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-3">
      <Table>
        <thead>
          <tr>
            <Th>Started</Th>
            <Th>Event</Th>
            <Th>Customer</Th>
            <Th>Version</Th>
            <Th>Status</Th>
            <Th>Messages</Th>
            <Th>Run</Th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="run-row">
              <Td><DateTime value={run.startedAt} /></Td>
              <Td className="font-mono text-xs">{run.event}</Td>
              <Td>
                <Link href={`/customers/${run.customerId}`} className="text-indigo-700 hover:underline">
                  {run.customerName}
                </Link>
              </Td>
              <Td>{run.version}</Td>
              <Td>
                <span className="sr-only">{run.status}</span>
                <span aria-hidden className="contents">
                  <StatusBadge status={runStatus[run.status] ?? run.status} />
                </span>{" "}
                <span className="text-xs text-slate-500">{run.status}</span>
              </Td>
              <Td className="text-xs text-slate-600">{messagesSummary(run)}</Td>
              <Td>
                <Link href={`/workflows/${workflowId}/runs/${run.id}`} className="text-indigo-700 hover:underline">
                  Open run
                </Link>
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <div className="flex gap-4 text-sm">
        {paged && (
          <Link href={`/workflows/${workflowId}#runs`} className="text-indigo-700 hover:underline">
            Newest runs
          </Link>
        )}
        {nextCursor && (
          <Link href={`/workflows/${workflowId}?runsCursor=${encodeURIComponent(nextCursor)}#runs`} className="text-indigo-700 hover:underline">
            Older runs
          </Link>
        )}
      </div>
    </div>
  );
}

function messagesSummary(run: RunPage["runs"][number]): string {
  if (run.messages === 0) return "none";
  const parts = [run.delivered && `${run.delivered} delivered`, run.failed && `${run.failed} failed`, run.messages - run.delivered - run.failed && `${run.messages - run.delivered - run.failed} in flight`];
  return parts.filter(Boolean).join(", ");
}
