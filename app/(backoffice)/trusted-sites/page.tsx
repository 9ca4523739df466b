import { ShieldCheck } from "lucide-react";
import type { Metadata } from "next";
import { connection } from "next/server";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listSites } from "@/lib/trusted-sites/list-sites";

export const metadata: Metadata = { title: "Trusted sites" };

export default async function TrustedSitesPage() {
  await connection();
  const sites = await listSites(await getDb());
  return (
    <>
      <PageHeader
        title="Trusted sites"
        description="External systems that receive outgoing webhooks, each with its own authentication and pacing."
      />
      {sites.length === 0 ? (
        <EmptyState icon={ShieldCheck} title="No trusted sites yet">
          A trusted site is a receiver of webhooks: its URL, how requests to it are authenticated, and how fast it may
          be called. Once a site is active, Webhook message nodes in workflows can deliver to it.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Authentication method</Th>
              <Th>URL</Th>
              <Th>Content type</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody>
            {sites.map((site) => (
              <tr key={site.id}>
                <Td className="font-medium">{site.name}</Td>
                <Td>{site.authMethod}</Td>
                <Td className="max-w-xs truncate font-mono text-xs">{site.url}</Td>
                <Td>{site.contentType}</Td>
                <Td>
                  <StatusBadge status={site.status} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
