import { ChevronRight, Search, SearchX, Users } from "lucide-react";
import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { getDb } from "@/lib/db";
import { customersQuerySchema, listCustomers } from "@/lib/customers/list-customers";
import { firstValues } from "@/lib/webhooks/logs-query";
import { toFieldIssues } from "@/lib/validation";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Customers" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const searchHref = (params: Record<string, string | undefined>) => {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1]))).toString();
  return query ? `/customers?${query}` : "/customers";
};

export default backofficePage(async function CustomersPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = firstValues(await searchParams);
  const header = <PageHeader title="Customers" description="The customers webhook messages are about." />;
  const parsed = customersQuerySchema.safeParse(raw);
  if (!parsed.success) {
    return (
      <>
        {header}
        <EmptyState icon={SearchX} title="This search is not valid">
          <ul className="mb-3">
            {toFieldIssues(parsed.error).map((issue, i) => (
              <li key={i}>{issue.message}</li>
            ))}
          </ul>
          <Link href="/customers" className="font-medium text-indigo-600 hover:underline">
            All customers
          </Link>
        </EmptyState>
      </>
    );
  }
  const search = parsed.data.q || undefined;
  const { items, nextCursor } = await listCustomers(await getDb(), { q: search, cursor: raw.cursor, limit: parsed.data.limit });

  return (
    <>
      {header}
      <Form action="/customers" role="search" className="mb-4 flex flex-wrap items-end gap-2">
        <label htmlFor="customer-search" className="sr-only">
          Search customers
        </label>
        <input
          id="customer-search"
          name="q"
          type="search"
          defaultValue={search}
          maxLength={200}
          placeholder="Name, e-mail or external id"
          className="w-full max-w-sm rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
        />
        <Button type="submit" variant="secondary">
          <Search className="size-4" aria-hidden /> Search
        </Button>
        {search && (
          <Link href="/customers" className="px-2 py-2 text-sm font-medium text-indigo-600 hover:underline">
            Clear
          </Link>
        )}
      </Form>
      {items.length === 0 ? (
        raw.cursor ? (
          <EmptyState icon={Users} title="No more customers">
            <Link href={searchHref({ q: search })} className="font-medium text-indigo-600 hover:underline">
              Back to the first page
            </Link>
          </EmptyState>
        ) : search ? (
          <EmptyState icon={SearchX} title={`No customers match “${search}”`}>
            Search matches the start of a name, an e-mail or an external id, in any case.{" "}
            <Link href="/customers" className="font-medium text-indigo-600 hover:underline">
              All customers
            </Link>
          </EmptyState>
        ) : (
          <EmptyState icon={Users} title="No customers yet">
            Customers arrive from the loyalty platform. For a local try-out, run <code className="font-mono">npm run db:seed</code>{" "}
            to add a few sample customers.
          </EmptyState>
        )
      ) : (
        <>
          <Table data-testid="customers-table">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Email</Th>
                <Th>External id</Th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-testid="customer-row">
                  <Td>
                    <Link href={`/customers/${c.id}`} className="font-medium text-indigo-600 hover:underline">
                      {c.name}
                    </Link>
                  </Td>
                  <Td className="break-all">{c.email ?? "—"}</Td>
                  <Td className="break-all font-mono text-xs">{c.externalId ?? "—"}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <div className="mt-3 flex items-center justify-end gap-4 text-sm">
            {raw.cursor && (
              <Link href={searchHref({ q: search })} className="font-medium text-indigo-600 hover:underline">
                First page
              </Link>
            )}
            {nextCursor && (
              <Link
                href={searchHref({ q: search, cursor: nextCursor })}
                className="inline-flex items-center gap-1 font-medium text-indigo-600 hover:underline"
              >
                Next page <ChevronRight className="size-4" aria-hidden />
              </Link>
            )}
          </div>
        </>
      )}
    </>
  );
});
