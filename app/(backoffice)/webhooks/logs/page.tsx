import { ScrollText } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listRecentAttempts } from "@/lib/webhooks/list-attempts";

export const metadata: Metadata = { title: "Webhook logs" };

export default async function LogsPage() {
  await connection();
  const attempts = await listRecentAttempts(await getDb());
  return (
    <>
      <PageHeader title="Logs" description="Every webhook send attempt, newest first. Kept for 90 days." />
      {attempts.length === 0 ? (
        <EmptyState icon={ScrollText} title="No webhook attempts yet">
          When a workflow&apos;s Webhook message node fires, each attempt to deliver it appears here with its response
          code and status.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Created at</Th>
              <Th>Action</Th>
              <Th>Customer</Th>
              <Th>Trusted site</Th>
              <Th>Response code</Th>
              <Th>Status</Th>
              <Th>Attempt</Th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.id}>
                <Td><DateTime value={a.createdAt} /></Td>
                <Td>{a.action}</Td>
                <Td>
                  <Link href={`/customers/${a.customerId}`} className="text-indigo-600 hover:underline">
                    {a.customerName}
                  </Link>
                </Td>
                <Td>{a.siteName}</Td>
                <Td className="tabular-nums">{a.responseCode ?? "—"}</Td>
                <Td><StatusBadge status={a.status} /></Td>
                <Td className="tabular-nums">{a.attemptNo} of 5</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
