import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SiteForm } from "@/components/trusted-sites/site-form";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { getSiteOrThrow } from "@/lib/trusted-sites/get-site";
import { methodChoices } from "@/lib/trusted-sites/method-choices";
import { toSiteView } from "@/lib/trusted-sites/site-view";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Edit site" };

export default backofficePage(async function EditSitePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const site = await getSiteOrThrow(await getDb(), id).catch((e) => {
    if (e instanceof NotFoundError) notFound();
    throw e;
  });
  const view = toSiteView(site);
  return (
    <>
      <PageHeader title={`Edit ${view.name}`} description="Stored secrets are not shown; leave a secret empty to keep it." />
      <SiteForm methods={methodChoices()} site={view} />
    </>
  );
});
