import { ChevronRight, ScrollText, SearchX } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { AttemptsChart } from "@/components/webhooks/attempts-chart";
import { AttemptsTable } from "@/components/webhooks/attempts-table";
import { FilterIssues } from "@/components/webhooks/filter-issues";
import { LogsFilters } from "@/components/webhooks/logs-filters";
import { ResendFailedButton } from "@/components/webhooks/resend-failed-button";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/lib/db";
import { attemptsPerMinute } from "@/lib/webhooks/attempts-per-minute";
import { filterSearchParams, firstValues, logsQuerySchema, type LogsFilter } from "@/lib/webhooks/logs-query";
import { listAttemptLogs } from "@/lib/webhooks/read-messages";
import { listSites } from "@/lib/trusted-sites/list-sites";
import { seenActions } from "@/lib/webhooks/seen-actions";
import { customerLabel } from "@/lib/customers/customer-label";
import { toFieldIssues } from "@/lib/validation";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Webhook logs" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default backofficePage(async function LogsPage({ searchParams }: { searchParams: SearchParams }) {
  const db = await getDb();
  const raw = firstValues(await searchParams);
  const parsed = logsQuerySchema.safeParse(raw);
  const sites = await listSites(db);
  const header = <PageHeader title="Logs" description="Every webhook send attempt, newest first. Kept for 90 days." />;

  if (!parsed.success) {
    return (
      <>
        {header}
        <EmptyState icon={SearchX} title="These filters are not valid">
          <FilterIssues issues={toFieldIssues(parsed.error)} />
          <Link href="/webhooks/logs" className="font-medium text-indigo-600 hover:underline">
            Clear filters
          </Link>
        </EmptyState>
      </>
    );
  }

  const { cursor, limit, ...filter } = parsed.data;
  // Independent reads, made at once (the page waits for the slowest, not for their sum).
  const [logs, actions, customer] = await Promise.all([
    listAttemptLogs(db, { ...filter, cursor: raw.cursor, limit }),
    seenActions(db),
    filter.customerId ? customerLabel(db, filter.customerId) : undefined,
  ]);
  const filtered = Object.values(filter).some(Boolean);
  const site = filter.siteId ? sites.find((s) => s.id === filter.siteId) : undefined;
  const canResendFailed = site && (!filter.status || filter.status === "failed");

  return (
    <>
      {header}
      <LogsFilters
        filter={filter}
        sites={sites.map(({ id, name }) => ({ id, name }))}
        actions={actions}
        customer={customer}
      />
      {/* Counting a week of attempts takes longer than a page of them: the chart streams in after the table. */}
      <Suspense key={filterSearchParams(filter).toString()} fallback={<ChartPlaceholder />}>
        <ChartOfAttempts filter={filter} />
      </Suspense>
      {canResendFailed && (
        <div className="mb-4 flex justify-end">
          <ResendFailedButton
            siteName={site.name}
            filter={{ siteId: site.id, customerId: filter.customerId, action: filter.action, from: filter.from, to: filter.to }}
          />
        </div>
      )}
      {logs.items.length === 0 ? (
        cursor ? (
          <EmptyState icon={ScrollText} title="No older attempts">
            <Link href={`/webhooks/logs?${filterSearchParams(filter)}`} className="font-medium text-indigo-600 hover:underline">
              Back to the newest
            </Link>
          </EmptyState>
        ) : filtered ? (
          <EmptyState icon={SearchX} title="No attempts match these filters">
            Try a wider time range or fewer filters.{" "}
            <Link href="/webhooks/logs" className="font-medium text-indigo-600 hover:underline">
              Clear filters
            </Link>
          </EmptyState>
        ) : (
          <EmptyState icon={ScrollText} title="No webhook attempts yet">
            When a workflow&apos;s Webhook message node fires, each attempt to deliver it appears here with its response
            code and status.
          </EmptyState>
        )
      ) : (
        <>
          <AttemptsTable attempts={logs.items} />
          <Pagination filter={filter} cursor={cursor !== undefined} nextCursor={logs.nextCursor} />
        </>
      )}
    </>
  );
});

async function ChartOfAttempts({ filter }: { filter: LogsFilter }) {
  const chart = await attemptsPerMinute(await getDb(), filter);
  return <AttemptsChart data={chart} range={{ from: filter.from, to: filter.to }} />;
}

function ChartPlaceholder() {
  return (
    <section
      aria-label="Attempts over time"
      aria-busy="true"
      className="mb-4 h-[238px] animate-pulse rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <p className="text-sm text-slate-400">Counting attempts…</p>
    </section>
  );
}

function Pagination({ filter, cursor, nextCursor }: { filter: LogsFilter; cursor: boolean; nextCursor: string | null }) {
  if (!cursor && !nextCursor) return null;
  return (
    <nav aria-label="Pages" className="mt-4 flex justify-between">
      {cursor ? (
        <Button asChild variant="secondary">
          <Link href={`/webhooks/logs?${filterSearchParams(filter)}`}>Back to the newest</Link>
        </Button>
      ) : (
        <span />
      )}
      {nextCursor && (
        <Button asChild variant="secondary">
          <Link href={`/webhooks/logs?${filterSearchParams({ ...filter, cursor: nextCursor })}`}>
            Older <ChevronRight className="size-4" aria-hidden />
          </Link>
        </Button>
      )}
    </nav>
  );
}
