"use client";

import { flexRender, tableFeatures, useTable, type ColumnDef } from "@tanstack/react-table";
import { Repeat } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { DateTime } from "@/components/ui/date-time";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";

export interface AttemptRow {
  id: number;
  messageId: string;
  createdAt: Date;
  scheduledAt: Date;
  startedAt: Date | null;
  action: string;
  customerId: string;
  customerName: string;
  siteName: string;
  /** The n of "attempt k of n": the site's retry policy (read-messages.ts). */
  maxAttempts: number;
  responseCode: number | null;
  status: string;
  attemptNo: number;
  resentFromMessageId: string | null;
}

// Rows arrive filtered, sorted and paginated by the server (the keyset cursor): no row models here.
const features = tableFeatures({});

const messageHref = (row: AttemptRow) => `/webhooks/messages/${row.messageId}`;

const columns: ColumnDef<typeof features, AttemptRow>[] = [
  {
    // When the request went out; a queued attempt (a retry waiting) says when it is scheduled for.
    // The row was created when the previous attempt failed, which is neither.
    accessorKey: "startedAt",
    header: "Sent at",
    cell: (info) => {
      const { startedAt, scheduledAt } = info.row.original;
      return (
        <Link href={messageHref(info.row.original)} className="text-indigo-600 hover:underline" onClick={(e) => e.stopPropagation()}>
          {startedAt ? (
            <DateTime value={startedAt} />
          ) : (
            <span className="whitespace-nowrap">
              Scheduled for <DateTime value={scheduledAt} />
            </span>
          )}
        </Link>
      );
    },
  },
  { accessorKey: "action", header: "Action" },
  {
    accessorKey: "customerName",
    header: "Customer",
    cell: (info) => (
      <Link
        href={`/customers/${info.row.original.customerId}`}
        className="text-indigo-600 hover:underline"
        onClick={(e) => e.stopPropagation()}
      >
        {info.row.original.customerName}
      </Link>
    ),
  },
  { accessorKey: "siteName", header: "Trusted site" },
  {
    accessorKey: "responseCode",
    header: "Response code",
    cell: (info) => <span className="tabular-nums">{info.row.original.responseCode ?? "—"}</span>,
  },
  { accessorKey: "status", header: "Status", cell: (info) => <StatusBadge status={info.row.original.status} /> },
  {
    accessorKey: "attemptNo",
    header: "Attempt",
    cell: (info) => (
      <span className="inline-flex items-center gap-1.5 tabular-nums">
        {info.row.original.attemptNo} of {info.row.original.maxAttempts}
        {info.row.original.resentFromMessageId && (
          <span title="This message was resent from an earlier one" className="text-slate-400">
            <Repeat className="size-3.5" aria-label="resend" />
          </span>
        )}
      </span>
    ),
  },
];

/** One row per attempt; a row opens its message. */
export function AttemptsTable({ attempts }: { attempts: AttemptRow[] }) {
  const router = useRouter();
  const table = useTable({ features, columns, data: attempts, getRowId: (row) => String(row.id) });
  return (
    <Table>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => (
              <Th key={header.id}>{flexRender(header.column.columnDef.header, header.getContext())}</Th>
            ))}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((row) => (
          <tr
            key={row.id}
            data-testid="attempt-row"
            className="cursor-pointer hover:bg-slate-50"
            onClick={() => router.push(messageHref(row.original))}
          >
            {row.getAllCells().map((cell) => (
              <Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Td>
            ))}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
