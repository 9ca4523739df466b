import { Inbox, ScrollText } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Button } from "@/components/ui/button";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { getCustomer } from "@/lib/customers/get-customer";
import { getDb } from "@/lib/db";
import { listCustomerMessages } from "@/lib/webhooks/read-messages";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Customer" };

export default backofficePage(async function CustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = await getDb();
  const customer = await getCustomer(db, id);
  if (!customer) notFound();
  const messages = await listCustomerMessages(db, customer.id);
  return (
    <>
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/customers" className="hover:underline">Customers</Link> / {customer.name}
      </nav>
      <PageHeader
        title={customer.name}
        description={customer.email}
        actions={
          <Button asChild variant="secondary">
            <Link href={`/webhooks/logs?customerId=${customer.id}`}>
              <ScrollText className="size-4" aria-hidden /> Attempts in Logs
            </Link>
          </Button>
        }
      />
      <h2 className="mb-3 text-base font-semibold">Recent webhook messages</h2>
      {messages.length === 0 ? (
        <EmptyState icon={Inbox} title="No webhook messages for this customer">
          Messages that workflows send about this customer will be listed here.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Created at</Th>
              <Th>Action</Th>
              <Th>Trusted site</Th>
              <Th>Status</Th>
              <Th>Message</Th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id}>
                <Td><DateTime value={m.createdAt} /></Td>
                <Td>{m.action}</Td>
                <Td>{m.siteName}</Td>
                <Td><StatusBadge status={m.status} /></Td>
                <Td>
                  <Link href={`/webhooks/messages/${m.id}`} className="font-mono text-xs text-indigo-600 hover:underline">
                    {m.id.slice(0, 8)}…
                  </Link>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
});
