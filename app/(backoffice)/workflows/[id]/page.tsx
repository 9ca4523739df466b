import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { RunHistory } from "@/components/workflows/run-history";
import { TestEventForm } from "@/components/workflows/test-event-form";
import { WorkflowEditor } from "@/components/workflows/workflow-editor";
import { WorkflowStatusActions } from "@/components/workflows/workflow-status-actions";
import { listCustomers } from "@/lib/customers/list-customers";
import { getDb } from "@/lib/db";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { listSites } from "@/lib/trusted-sites/list-sites";
import type { WorkflowDefinition, WorkflowGraph } from "@/lib/workflows/definition";
import { getWorkflow, legacyNodeSecrets, listRuns } from "@/lib/workflows/read-workflows";
import { legacyMethodChoices } from "@/lib/trusted-sites/method-choices";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Workflow" };
const RUNS_SHOWN = 20;

export default backofficePage(async function WorkflowPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ saved?: string; runsCursor?: string }> }) {
  const { id } = await params;
  const { saved, runsCursor } = await searchParams;
  const db = await getDb();
  const workflow = await getWorkflow(db, id).catch((e) => {
    if (e instanceof NotFoundError) notFound();
    throw e;
  });
  // Every site, not only the active ones: a node whose site was deactivated says so by name.
  const [sites, runs, customers, legacyNodes] = await Promise.all([listSites(db), listRuns(db, id, { cursor: runsCursor, limit: RUNS_SHOWN }).catch((e) => {
      // A cursor that is not ours (edited by hand): show the newest runs.
      if (e instanceof ValidationError) return listRuns(db, id, { limit: RUNS_SHOWN });
      throw e;
    }), listCustomers(db, { limit: 200 }), legacyNodeSecrets(db, id)]);
  const trigger = workflow.trigger as WorkflowDefinition["trigger"];

  return (
    <>
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/workflows" className="hover:underline">Workflows</Link> / {workflow.name}
      </nav>
      <PageHeader
        title={workflow.name}
        description={
          <span className="flex items-center gap-2">
            <StatusBadge status={workflow.status} /> version {workflow.version} · triggered by <code>{workflow.triggerEvent}</code>
          </span>
        }
        actions={<WorkflowStatusActions workflow={workflow} />}
      />
      <WorkflowEditor
        sites={sites}
        methods={legacyMethodChoices()}
        legacyNodes={legacyNodes}
        savedVersion={saved && Number(saved) === workflow.version ? workflow.version : undefined}
        workflow={{
          id: workflow.id,
          version: workflow.version,
          name: workflow.name,
          description: workflow.description ?? "",
          trigger: { event: trigger.event, conditions: trigger.conditions ?? [] },
          graph: workflow.graph as WorkflowGraph,
        }}
      />
      <section id="runs" className="mt-8 flex flex-col gap-4">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <h2 className="text-lg font-semibold">Runs</h2>
          <TestEventForm workflowId={workflow.id} customers={customers.items.map((c) => ({ id: c.id, name: c.name, email: c.email }))} />
        </div>
        <RunHistory workflowId={workflow.id} page={runs} paged={!!runsCursor} />
      </section>
    </>
  );
});
