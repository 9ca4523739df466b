"use client";

import {
  columnFilteringFeature,
  createFilteredRowModel,
  createSortedRowModel,
  filterFn_includesString,
  flexRender,
  globalFilteringFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  tableFeatures,
  useTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, Search } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Bar, BarChart } from "recharts";
import { STATUS_COLORS } from "@/components/webhooks/status-colors";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import type { SparklineHour } from "@/lib/trusted-sites/site-health";

export interface SiteRow {
  id: string;
  name: string;
  authMethodLabel: string;
  url: string;
  contentType: string;
  status: string;
  /** Set when the provider refused the site's OAuth grant ("Needs re-authorisation", …). */
  tokenProblem?: string;
  /** Succeeded and failed attempts per hour, oldest first (site-health.ts readSiteSparklines). */
  lastDay: SparklineHour[];
}

const features = tableFeatures({
  rowSortingFeature,
  columnFilteringFeature,
  globalFilteringFeature,
  sortedRowModel: createSortedRowModel(),
  filteredRowModel: createFilteredRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric },
  filterFns: { includesString: filterFn_includesString },
});

const columns: ColumnDef<typeof features, SiteRow>[] = [
  {
    accessorKey: "name",
    header: "Name",
    cell: (info) => (
      <Link href={`/trusted-sites/${info.row.original.id}`} className="font-medium text-indigo-600 hover:underline">
        {info.getValue() as string}
      </Link>
    ),
  },
  { accessorKey: "authMethodLabel", header: "Authentication method" },
  {
    accessorKey: "url",
    header: "URL",
    cell: (info) => <span className="block max-w-xs truncate font-mono text-xs">{info.getValue() as string}</span>,
  },
  { accessorKey: "contentType", header: "Content type" },
  {
    accessorKey: "status",
    header: "Status",
    cell: (info) => (
      <span className="inline-flex flex-wrap items-center gap-1.5">
        <StatusBadge status={info.getValue() as string} />
        {info.row.original.tokenProblem && (
          <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800" data-testid="site-token-problem">
            {info.row.original.tokenProblem}
          </span>
        )}
      </span>
    ),
  },
  {
    id: "lastDay",
    header: "Last 24 h",
    // Sorts by failed attempts; the search does not look at it.
    accessorFn: (site) => site.lastDay.reduce((n, h) => n + h.failed, 0),
    enableGlobalFilter: false,
    cell: (info) => <Sparkline hours={info.row.original.lastDay} />,
  },
];

/** Attempts per hour over the last 24 hours, succeeded stacked under failed. */
function Sparkline({ hours }: { hours: SparklineHour[] }) {
  const succeeded = hours.reduce((n, h) => n + h.succeeded, 0);
  const failed = hours.reduce((n, h) => n + h.failed, 0);
  if (succeeded + failed === 0) {
    return <span data-testid="sparkline" className="text-xs text-slate-400">No attempts</span>;
  }
  const label = `${succeeded.toLocaleString("en")} succeeded, ${failed.toLocaleString("en")} failed`;
  return (
    <span data-testid="sparkline" className="flex items-center gap-2" title={`Last 24 hours: ${label}`}>
      <BarChart width={96} height={24} data={hours} margin={{ top: 0, right: 0, bottom: 0, left: 0 }} barCategoryGap={1} accessibilityLayer={false}>
        <Bar dataKey="succeeded" stackId="a" fill={STATUS_COLORS.done} isAnimationActive={false} />
        <Bar dataKey="failed" stackId="a" fill={STATUS_COLORS.failed} isAnimationActive={false} />
      </BarChart>
      <span className="sr-only">{label}</span>
    </span>
  );
}

/** The sites list: sortable columns and a search over every column, in the browser. */
export function SitesTable({ sites }: { sites: SiteRow[] }) {
  const [sorting, setSorting] = useState<SortingState>([{ id: "name", desc: false }]);
  const [globalFilter, setGlobalFilter] = useState("");
  const table = useTable({
    features,
    columns,
    data: sites,
    state: { sorting, globalFilter },
    onSortingChange: setSorting,
    onGlobalFilterChange: setGlobalFilter,
    globalFilterFn: "includesString",
  });
  const rows = table.getRowModel().rows;

  return (
    <div className="flex flex-col gap-3">
      <label className="relative max-w-sm">
        <span className="sr-only">Search sites</span>
        <Search className="pointer-events-none absolute left-3 top-2.5 size-4 text-slate-400" aria-hidden />
        <input
          type="search"
          value={globalFilter}
          onChange={(e) => setGlobalFilter(e.target.value)}
          placeholder="Search by name, method, URL…"
          className="w-full rounded-md border border-slate-300 bg-white py-2 pl-9 pr-3 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
        />
      </label>
      <Table>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const Icon = sorted === "asc" ? ArrowUp : sorted === "desc" ? ArrowDown : ArrowUpDown;
                return (
                  <Th key={header.id} aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}>
                    <button type="button" onClick={header.column.getToggleSortingHandler()} className="inline-flex items-center gap-1 uppercase">
                      {flexRender(header.column.columnDef.header, header.getContext())}
                      <Icon className="size-3" aria-hidden />
                    </button>
                  </Th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <Td colSpan={columns.length} className="py-8 text-center text-slate-500">
                No site matches “{globalFilter}”.
              </Td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={row.id}>
                {row.getAllCells().map((cell) => (
                  <Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </Table>
    </div>
  );
}
