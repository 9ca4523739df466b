import { Plus, ShieldCheck } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { SitesTable } from "@/components/trusted-sites/sites-table";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/lib/db";
import { isTokenMethod } from "@/lib/auth-methods/method-names";
import { refusedSites } from "@/lib/oauth/token-health";
import { REFUSAL_LABELS } from "@/lib/oauth/token-refusal";
import { listSites } from "@/lib/trusted-sites/list-sites";
import { readSiteSparklines } from "@/lib/trusted-sites/site-health";
import { methodLabel } from "@/lib/trusted-sites/method-choices";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Trusted sites" };

export default backofficePage(async function TrustedSitesPage() {
  const db = await getDb();
  const [sites, refused] = await Promise.all([listSites(db), refusedSites(db)]);
  const sparklines = await readSiteSparklines(db, sites.map((s) => s.id));
  const addButton = (
    <Button asChild>
      <Link href="/trusted-sites/new">
        <Plus className="size-4" aria-hidden /> Add new site
      </Link>
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Trusted sites"
        description="External systems that receive outgoing webhooks, each with its own authentication and pacing."
        actions={addButton}
      />
      {sites.length === 0 ? (
        <EmptyState icon={ShieldCheck} title="No trusted sites yet">
          A trusted site is a receiver of webhooks: its URL, how requests to it are authenticated, and how fast it may
          be called. Once a site is active, Webhook message nodes in workflows can deliver to it.
        </EmptyState>
      ) : (
        <SitesTable
          sites={sites.map((s) => {
            const refusal = isTokenMethod(s.authMethod) ? refused.get(s.id) : undefined;
            return { ...s, authMethodLabel: methodLabel(s.authMethod), tokenProblem: refusal && REFUSAL_LABELS[refusal], lastDay: sparklines.get(s.id) ?? [] };
          })}
        />
      )}
    </>
  );
});
