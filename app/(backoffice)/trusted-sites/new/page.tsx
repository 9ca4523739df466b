import type { Metadata } from "next";
import { SiteForm } from "@/components/trusted-sites/site-form";
import { PageHeader } from "@/components/ui/page-header";
import { methodChoices } from "@/lib/trusted-sites/method-choices";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Add new site" };

export default backofficePage(async function NewSitePage() {
  return (
    <>
      <PageHeader title="Add new site" description="The site is saved as a draft; activate it when it is ready to receive webhooks." />
      <SiteForm methods={methodChoices()} />
    </>
  );
});
