import { Users } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { listCustomers } from "@/lib/customers/list-customers";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Customers" };

export default backofficePage(async function CustomersPage() {
  const customers = await listCustomers(await getDb());
  return (
    <>
      <PageHeader title="Customers" description="The customers webhook messages are about." />
      {customers.length === 0 ? (
        <EmptyState icon={Users} title="No customers yet">
          Customers arrive from the loyalty platform. For a local try-out, run <code className="font-mono">npm run db:seed</code>{" "}
          to add a few sample customers.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Email</Th>
            </tr>
          </thead>
          <tbody>
            {customers.map((c) => (
              <tr key={c.id}>
                <Td>
                  <Link href={`/customers/${c.id}`} className="font-medium text-indigo-600 hover:underline">
                    {c.name}
                  </Link>
                </Td>
                <Td>{c.email}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
});
