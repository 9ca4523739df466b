import { GitBranch } from "lucide-react";
import type { Metadata } from "next";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listWorkflows } from "@/lib/workflows/list-workflows";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Workflows" };

export default backofficePage(async function WorkflowsPage() {
  const workflows = await listWorkflows(await getDb());
  return (
    <>
      <PageHeader
        title="Workflows"
        description="Automations triggered by customer events. Their Webhook message nodes deliver to active trusted sites."
      />
      {workflows.length === 0 ? (
        <EmptyState icon={GitBranch} title="No workflows yet">
          A workflow reacts to a customer event; add a Webhook message node to it to send that event to a trusted site.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Trigger event</Th>
              <Th>Last changed</Th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => (
              <tr key={w.id}>
                <Td className="font-medium">{w.name}</Td>
                <Td>{w.triggerEvent}</Td>
                <Td><DateTime value={w.updatedAt} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
});
