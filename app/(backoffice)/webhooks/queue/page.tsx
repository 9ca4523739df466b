import { ListChecks } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listQueue } from "@/lib/webhooks/list-queue";

export const metadata: Metadata = { title: "Webhook queue" };

export default async function QueuePage() {
  await connection();
  const messages = await listQueue(await getDb());
  return (
    <>
      <PageHeader title="Queue" description="Webhook messages still being delivered: queued, or waiting to be resent." />
      {messages.length === 0 ? (
        <EmptyState icon={ListChecks} title="The queue is empty">
          Nothing is waiting to be delivered. Messages appear here from the moment they are triggered until they are
          done or have failed all 5 attempts.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>ID</Th>
              <Th>Customer</Th>
              <Th>Trusted site</Th>
              <Th>Retries</Th>
              <Th>Status</Th>
              <Th>Next attempt</Th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id}>
                <Td className="font-mono text-xs">{m.id}</Td>
                <Td>
                  <Link href={`/customers/${m.customerId}`} className="text-indigo-600 hover:underline">
                    {m.customerName}
                  </Link>
                </Td>
                <Td>{m.siteName}</Td>
                <Td className="tabular-nums">{m.retries}</Td>
                <Td><StatusBadge status={m.status} /></Td>
                <Td><DateTime value={m.nextAttemptAt} /></Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
