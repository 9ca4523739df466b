import { GitBranch, Plus } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listWorkflows } from "@/lib/workflows/read-workflows";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Workflows" };

const newWorkflow = (
  <Button asChild>
    <Link href="/workflows/new">
      <Plus className="size-4" aria-hidden /> New workflow
    </Link>
  </Button>
);

export default backofficePage(async function WorkflowsPage() {
  const workflows = await listWorkflows(await getDb());
  return (
    <>
      <PageHeader
        title="Workflows"
        description="Automations triggered by customer events. Their Webhook message nodes deliver to active trusted sites."
        actions={newWorkflow}
      />
      {workflows.length === 0 ? (
        <EmptyState icon={GitBranch} title="No workflows yet">
          A workflow reacts to a customer event; add a Webhook message node to it to send that event to a trusted site. Start with New workflow.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Trigger event</Th>
              <Th>Status</Th>
              <Th>Last changed</Th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => (
              <tr key={w.id}>
                <Td className="font-medium">
                  <Link href={`/workflows/${w.id}`} className="text-indigo-700 hover:underline">
                    {w.name}
                  </Link>
                </Td>
                <Td className="font-mono text-xs">{w.triggerEvent}</Td>
                <Td><StatusBadge status={w.status} /></Td>
                <Td><DateTime value={w.updatedAt} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
});
