import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { DateTime } from "@/components/ui/date-time";
import { PageHeader } from "@/components/ui/page-header";
import { AutoRefresh } from "@/components/webhooks/auto-refresh";
import { RunCanvas } from "@/components/workflows/run-canvas";
import { getDb } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { listSites } from "@/lib/trusted-sites/list-sites";
import type { WorkflowGraph } from "@/lib/workflows/definition";
import { getRun } from "@/lib/workflows/read-workflows";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Workflow run" };

export default backofficePage(async function WorkflowRunPage({ params }: { params: Promise<{ id: string; runId: string }> }) {
  const { id, runId } = await params;
  const db = await getDb();
  const run = await getRun(db, runId).catch((e) => {
    if (e instanceof NotFoundError) notFound();
    throw e;
  });
  if (run.workflowId !== id) notFound();
  const sites = await listSites(db);

  return (
    <>
      {run.status === "running" && <AutoRefresh />}
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/workflows" className="hover:underline">Workflows</Link> /{" "}
        <Link href={`/workflows/${id}`} className="hover:underline">{run.workflowName}</Link> / Run
      </nav>
      <PageHeader title={`Run of ${run.workflowName}`} description={<span className="font-mono text-xs">{run.id}</span>} />
      <dl className="mb-4 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
        <dt className="text-slate-500">Status</dt>
        <dd data-testid="run-status">{run.status}</dd>
        <dt className="text-slate-500">Event</dt>
        <dd className="font-mono text-xs">{run.event}</dd>
        <dt className="text-slate-500">Customer</dt>
        <dd><Link href={`/customers/${run.customerId}`} className="text-indigo-700 hover:underline">Open customer</Link></dd>
        <dt className="text-slate-500">Version</dt>
        <dd>{run.version}</dd>
        <dt className="text-slate-500">Started</dt>
        <dd><DateTime value={run.startedAt} /></dd>
      </dl>
      <RunCanvas event={run.event} graph={run.graph as WorkflowGraph} nodeRuns={run.nodes} sites={sites} />
    </>
  );
});
