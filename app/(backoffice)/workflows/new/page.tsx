import type { Metadata } from "next";
import Link from "next/link";
import { PageHeader } from "@/components/ui/page-header";
import { WorkflowEditor } from "@/components/workflows/workflow-editor";
import { legacyMethodChoices } from "@/lib/trusted-sites/method-choices";
import { getDb } from "@/lib/db";
import { listSites } from "@/lib/trusted-sites/list-sites";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "New workflow" };

export default backofficePage(async function NewWorkflowPage() {
  const sites = await listSites(await getDb(), { status: "active" });
  return (
    <>
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/workflows" className="hover:underline">Workflows</Link> / New
      </nav>
      <PageHeader title="New workflow" description="Saved as a draft: activate it once it is ready, or try it first with Send test event." />
      <WorkflowEditor sites={sites} methods={legacyMethodChoices()} />
    </>
  );
});
