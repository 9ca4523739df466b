"use client";

import { Filter, X } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ATTEMPT_STATUSES, filterSearchParams, logsFilterSchema, type LogsFilter } from "@/lib/delivery/logs-query";
import { toFieldIssues } from "@/lib/validation";
import { STATUS_LABELS } from "./status-colors";

const inputClass =
  "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";

/** `datetime-local` works without a zone; the app shows and filters in UTC. */
const toInputValue = (iso?: string) => (iso ? new Date(iso).toISOString().slice(0, 16) : "");
const fromInputValue = (value: string) => (value ? `${value}:00Z` : undefined);

const QUICK_RANGES = [
  { label: "Last 15 minutes", ms: 15 * 60_000 },
  { label: "Last hour", ms: 60 * 60_000 },
  { label: "Last 24 hours", ms: 24 * 60 * 60_000 },
  { label: "Last 7 days", ms: 7 * 24 * 60 * 60_000 },
  { label: "Last 30 days", ms: 30 * 24 * 60 * 60_000 },
];

/** The Logs filters, kept in the URL (shareable, survive reload), checked with the API's schema. */
export function LogsFilters({ filter, sites }: { filter: LogsFilter; sites: { id: string; name: string }[] }) {
  const router = useRouter();
  const [issues, setIssues] = useState<Record<string, string>>({});

  function apply(values: Record<string, string | undefined>) {
    const parsed = logsFilterSchema.safeParse(Object.fromEntries(Object.entries(values).filter(([, v]) => v)));
    if (!parsed.success) {
      setIssues(Object.fromEntries(toFieldIssues(parsed.error).map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setIssues({});
    const query = filterSearchParams(parsed.data).toString();
    router.push(query ? `/webhooks/logs?${query}` : "/webhooks/logs");
  }

  function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    apply({
      status: text("status"),
      siteId: text("siteId"),
      customerId: text("customerId"),
      action: text("action"),
      from: fromInputValue(text("from") ?? ""),
      to: fromInputValue(text("to") ?? ""),
    });
  }

  const filtered = Object.values(filter).some(Boolean);
  return (
    <form
      // Re-mount on navigation so the inputs show the URL's filter (e.g. after Back).
      key={filterSearchParams(filter).toString()}
      onSubmit={onSubmit}
      aria-label="Filter attempts"
      className="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      {/* From and To take two columns: a datetime-local input needs ~240 px to show its whole value. */}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Status" error={issues.status}>
          <select name="status" defaultValue={filter.status ?? ""} className={inputClass}>
            <option value="">Any status</option>
            {ATTEMPT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Trusted site" error={issues.siteId}>
          <select name="siteId" defaultValue={filter.siteId ?? ""} className={inputClass}>
            <option value="">Any site</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Customer ID" error={issues.customerId}>
          <input name="customerId" defaultValue={filter.customerId ?? ""} placeholder="uuid" className={inputClass} />
        </Field>
        <Field label="Action" error={issues.action}>
          <input name="action" defaultValue={filter.action ?? ""} placeholder="e.g. points.earned" className={inputClass} />
        </Field>
        <Field label="From (UTC)" className="sm:col-span-2" error={issues.from}>
          <input type="datetime-local" name="from" defaultValue={toInputValue(filter.from)} className={inputClass} />
        </Field>
        <Field label="To (UTC)" className="sm:col-span-2" error={issues.to}>
          <input type="datetime-local" name="to" defaultValue={toInputValue(filter.to)} className={inputClass} />
        </Field>
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <Button type="submit">
          <Filter className="size-4" aria-hidden /> Apply filters
        </Button>
        {filtered && (
          <Button asChild variant="secondary">
            <Link href="/webhooks/logs">
              <X className="size-4" aria-hidden /> Clear filters
            </Link>
          </Button>
        )}
        <span className="ml-2 text-xs text-slate-500">Quick range:</span>
        {QUICK_RANGES.map((range) => (
          <button
            key={range.label}
            type="button"
            className="rounded-full border border-slate-200 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-50"
            onClick={() => apply({ ...filter, from: new Date(Date.now() - range.ms).toISOString(), to: undefined })}
          >
            {range.label}
          </button>
        ))}
      </div>
    </form>
  );
}

function Field({
  label,
  error,
  className,
  children,
}: {
  label: string;
  error?: string;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <label className={cn("flex flex-col gap-1 text-sm font-medium text-slate-700", className)}>
      {label}
      {children}
      {error && <span className="text-xs font-medium text-red-600">{error}</span>}
    </label>
  );
}
